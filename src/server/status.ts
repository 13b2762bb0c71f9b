/**
 * RaftvecError -> gRPC status, one-to-one. `details` travel as trailing
 * metadata (e.g. `leader-address`). Anything that is not a RaftvecError is a
 * bug: it becomes INTERNAL with its message, and is logged.
 */
import * as grpc from '@grpc/grpc-js';
import { RaftvecError, type ErrorCode } from '../errors.js';

export const GRPC_STATUS_BY_CODE: Readonly<Record<ErrorCode, grpc.status>> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  INTERNAL: grpc.status.INTERNAL,
};

/** Metadata keys must be lowercase ASCII [0-9a-z_.-]; binary values need a `-bin` key. */
function metadataKey(key: string): string {
  const k = key.toLowerCase().replace(/[^0-9a-z_.-]/g, '-');
  return k.startsWith('grpc-') ? `x-${k}` : k || 'detail';
}

export function detailsToMetadata(details: Readonly<Record<string, string>>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(details)) {
    const k = metadataKey(key);
    // printable ASCII only in non-binary metadata values
    if (/^[\x20-\x7e]*$/.test(value)) md.set(k, value);
    else md.set(`${k}-bin`, Buffer.from(value, 'utf8'));
  }
  return md;
}

/** Log levels, as pino names them. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Where the server's log lines go. The plain call picks a level itself (src/server/
 * node-log.ts: `error` with an `err`, `warn` for a problem, else `info`); the
 * structured node logger also has `at` to give one, and `attach` to stamp every
 * later line with the node's live Raft term and role. Never pass a key, a secret or
 * vector values in a message.
 */
export interface Logger {
  (message: string, err?: unknown): void;
  at?: (level: LogLevel, message: string, err?: unknown) => void;
  attach?: (source: () => { term: number; role: string }) => void;
}

export const stderrLogger: Logger = (message, err) => {
  const detail =
    err instanceof Error ? (err.stack ?? err.message) : err === undefined ? '' : String(err);
  process.stderr.write(
    `${new Date().toISOString()} raftvec: ${message}${detail ? `\n${detail}` : ''}\n`,
  );
};

/** A gRPC ServiceError for any thrown value. */
export function toServiceError(
  err: unknown,
  method: string,
  log: Logger,
): Partial<grpc.StatusObject> {
  if (err instanceof RaftvecError) {
    if (err.code === 'INTERNAL') log(`${method}: internal error: ${err.message}`, err);
    return {
      code: GRPC_STATUS_BY_CODE[err.code],
      details: err.message,
      metadata: detailsToMetadata(err.details),
    };
  }
  log(`${method}: unexpected error`, err);
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: grpc.status.INTERNAL,
    details: `internal error in ${method}: ${message}`,
    metadata: new grpc.Metadata(),
  };
}
