/**
 * Typed errors shared by every part of raftvec. Each carries a code that maps
 * one-to-one onto a gRPC status, so the server never guesses a status from a
 * message string.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'UNAUTHENTICATED'
  | 'INTERNAL';

export class RaftvecError extends Error {
  readonly code: ErrorCode;
  /** Extra key/value pairs sent as gRPC trailing metadata (e.g. the leader's address). */
  readonly details: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, details: Record<string, string> = {}) {
    super(message);
    this.name = 'RaftvecError';
    this.code = code;
    this.details = details;
  }
}

export const invalidArgument = (message: string): RaftvecError =>
  new RaftvecError('INVALID_ARGUMENT', message);
export const notFound = (message: string): RaftvecError => new RaftvecError('NOT_FOUND', message);
export const alreadyExists = (message: string): RaftvecError =>
  new RaftvecError('ALREADY_EXISTS', message);
export const failedPrecondition = (message: string): RaftvecError =>
  new RaftvecError('FAILED_PRECONDITION', message);

/** Runs `f` for operation `i` of a batch: a RaftvecError it throws names the operation first. */
export function inOperation<T>(i: number, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof RaftvecError)
      throw new RaftvecError(err.code, `operation ${i}: ${err.message}`, { ...err.details });
    throw err;
  }
}
