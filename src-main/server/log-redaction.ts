/**
 * What serve mode writes to its log: the access token never appears (a log file or a shared
 * terminal must not hand out the API), and a client that went away is one plain line.
 */

const REDACTED = '<redacted>';

/** Replaces the token itself, `token=…` query values and `Bearer …` credentials. */
export function redactTokens(line: string, token: string): string {
  let out = token.length > 0 ? line.split(token).join(REDACTED) : line;
  out = out.replace(/([?&]token=)[^&\s#"']*/gi, `$1${REDACTED}`);
  out = out.replace(/(Bearer\s+)[^\s"',]+/gi, `$1${REDACTED}`);
  return out;
}

const CLIENT_ABORT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED']);

/** Whether `err` only says that the client closed the connection before the answer. */
export function isClientAbort(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined && CLIENT_ABORT_CODES.has(code)) || err.message === 'aborted';
}

/** The log line for a request that failed: one line for a client abort, the stack otherwise. */
export function requestFailureLine(method: string | undefined, url: string | undefined, err: unknown): string {
  const what = `request ${method ?? '?'} ${url ?? '?'}`;
  if (isClientAbort(err)) return `${what}: the client closed the connection before the answer`;
  return `${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}
