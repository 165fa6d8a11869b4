/** `snca` entry (bundled to dist/main/cli.js; bin/snca.js runs it or, unbuilt, this file through tsx). */
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2));
