/**
 * One call through the contract, for every transport (IPC, HTTP): validate the raw input
 * with the method's schema (issues name the field), run the handler, check the result
 * against the output schema, and answer a CallResult. Never throws.
 */
import { isMethodName, methods, type ApiHandlers, type CallResult, type MethodName } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import { describeIssues, safeParseWith } from '../../shared/validation.ts';
import { databaseLockedMessage, isDatabaseLocked } from '../store/database-error.ts';

export type Diagnostics = (line: string) => void;

type LooseHandler = (input: unknown) => unknown;

export async function dispatchCall(
  /** Every method's handler; a process that serves only some (`snca doctor` opens no database) gives those. */
  handlers: Partial<ApiHandlers>,
  method: string,
  rawInput: unknown,
  diagnostics: Diagnostics = () => {},
): Promise<CallResult<unknown>> {
  if (!isMethodName(method)) {
    return { ok: false, error: { code: 'not_found', message: `Unknown API method "${method}"` } };
  }
  const spec = methods[method as MethodName];
  // A missing body means "no arguments" (methods with optional fields accept {}).
  const parsed = safeParseWith(spec.input, rawInput === undefined ? {} : rawInput);
  if (!parsed.ok) return { ok: false, error: ApiError.invalidInput(parsed.issues, `input of ${method}`).toPayload() };
  try {
    // The mapped ApiHandlers type cannot be indexed with a union key without widening.
    const handler = handlers[method] as LooseHandler | undefined;
    if (!handler) return { ok: false, error: { code: 'not_found', message: `API method "${method}" is not served by this process` } };
    const result = await handler(parsed.value);
    const checked = spec.output.safeParse(result);
    if (!checked.success) {
      const detail = describeIssues(checked.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
      diagnostics(`${method} returned a result that does not match the contract: ${detail}`);
      return { ok: false, error: { code: 'internal', message: `${method} produced an invalid result (${detail})` } };
    }
    return { ok: true, result: checked.data };
  } catch (err) {
    const apiError = isDatabaseLocked(err) ? new ApiError('unavailable', databaseLockedMessage()) : ApiError.from(err);
    if (apiError.code === 'internal') diagnostics(`${method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return { ok: false, error: apiError.toPayload() };
  }
}
