/** The one error shape every transport carries and every client raises. */
import { z } from 'zod';
import { describeIssues, type FieldIssue } from './validation.ts';

export const ERROR_CODES = [
  'invalid_input',
  'not_found',
  'conflict',
  'unavailable',
  'unauthorized',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The HTTP status serve mode answers a failed call with, per error code. */
export const HTTP_STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  invalid_input: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

/** The error code an HTTP error status stands for (`internal` for a status no code uses). */
export function errorCodeOfHttpStatus(status: number): ErrorCode {
  return ERROR_CODES.find((code) => HTTP_STATUS_OF[code] === status) ?? 'internal';
}

export const ApiErrorPayloadSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ApiErrorPayload = z.infer<typeof ApiErrorPayloadSchema>;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: FieldIssue[],
  ) {
    super(message);
  }

  static invalidInput(issues: FieldIssue[], what = 'input'): ApiError {
    return new ApiError('invalid_input', `Invalid ${what}: ${describeIssues(issues)}`, issues);
  }

  static notFound(what: string): ApiError {
    return new ApiError('not_found', `${what} was not found`);
  }

  toPayload(): ApiErrorPayload {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }

  static fromPayload(p: ApiErrorPayload): ApiError {
    return new ApiError(p.code, p.message, p.issues);
  }

  /** Anything thrown becomes an ApiError; unknown failures keep their message but not their stack. */
  static from(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new ApiError('internal', message);
  }
}
