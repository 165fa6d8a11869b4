/**
 * What every transport shares: turning a CallResult (or a failed round trip) into the
 * method's parsed output or an ApiError, and checking an input before it leaves.
 */
import { methods, type CallResult, type MethodInput, type MethodName, type MethodOutput } from '../../shared/api.ts';
import { ApiError, ApiErrorPayloadSchema } from '../../shared/api-error.ts';
import { safeParseWith } from '../../shared/validation.ts';

/** Validates an input with the method's schema; throws invalid_input naming the fields. */
export function checkInput<M extends MethodName>(method: M, input: MethodInput<M>): void {
  const parsed = safeParseWith(methods[method].input, input);
  if (!parsed.ok) throw ApiError.invalidInput(parsed.issues, `input of ${method}`);
}

/** Parses a successful result with the method's output schema (the other side is not trusted). */
export function parseOutput<M extends MethodName>(method: M, result: unknown): MethodOutput<M> {
  const parsed = safeParseWith(methods[method].output, result);
  if (!parsed.ok) {
    const detail = parsed.issues
      .slice(0, 3)
      .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
      .join('; ');
    throw new ApiError('internal', `Malformed answer to ${method}: ${detail}`);
  }
  return parsed.value as MethodOutput<M>;
}

/** Unwraps anything that claims to be a CallResult. */
export function unwrapCallResult<M extends MethodName>(method: M, raw: unknown): MethodOutput<M> {
  if (raw && typeof raw === 'object' && 'ok' in raw) {
    const r = raw as CallResult<unknown>;
    if (r.ok === true) return parseOutput(method, r.result);
    if (r.ok === false) {
      const err = ApiErrorPayloadSchema.safeParse(r.error);
      if (err.success) throw ApiError.fromPayload(err.data);
      throw new ApiError('internal', `Malformed error answer to ${method}`);
    }
  }
  throw new ApiError('internal', `Malformed answer to ${method}: not a call result`);
}
