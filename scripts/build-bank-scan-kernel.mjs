#!/usr/bin/env node
// Assembles src-main/engine/eval/bank-scan-kernel.wat (WebAssembly text, SIMD) with the
// `wabt` package and writes the module's bytes, base64, to bank-scan-wasm.ts, so the app
// ships the kernel inside its bundle and needs no assembler at run time.
// Usage: node scripts/build-bank-scan-kernel.mjs [--check]   (--check: exit 1 when the file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assembleBankScanKernel, bankScanWasmModuleText } from './bank-scan-kernel-assembly.mjs';

const dir = fileURLToPath(new URL('../src-main/engine/eval/', import.meta.url));
const out = `${dir}bank-scan-wasm.ts`;
const text = bankScanWasmModuleText(await assembleBankScanKernel(readFileSync(`${dir}bank-scan-kernel.wat`, 'utf8')));
if (process.argv.includes('--check')) {
  const current = readFileSync(out, 'utf8');
  if (current !== text) {
    console.error(`${out} is not bank-scan-kernel.wat assembled: run node scripts/build-bank-scan-kernel.mjs`);
    process.exit(1);
  }
  console.log(`${out} is up to date`);
} else {
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
