import { RETRY_AFTER_MS_KEY } from '../api/metadata-keys.js';
import * as grpc from '@grpc/grpc-js';

/** The string form of a gRPC status code: 'NOT_FOUND', 'INVALID_ARGUMENT', … */
export type StatusName = keyof typeof grpc.status;

export function statusName(code: number): StatusName | 'UNKNOWN' {
  const name = grpc.status[code] as StatusName | undefined;
  return name ?? 'UNKNOWN';
}

/** The longest wait a server's hint can ask of this client (a bound on what a server dictates). */
export const MAX_RETRY_AFTER_MS = 60_000;

/** A `retry-after-ms` value as a number of ms (capped), or undefined if absent or not a count. */
export function parseRetryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}$/.test(value.trim())) return undefined;
  return Math.min(Number(value.trim()), MAX_RETRY_AFTER_MS);
}

/** Headers every response carries: not details of an error. */
const TRANSPORT_HEADERS = new Set(['content-type', 'date', 'user-agent', 'te', 'server']);

/** A failed call: the gRPC status as a string, the server's message, and trailing metadata. */
export class RaftvecClientError extends Error {
  /** e.g. 'NOT_FOUND', 'INVALID_ARGUMENT', 'UNAVAILABLE'. */
  readonly code: StatusName | 'UNKNOWN';
  /** The numeric gRPC status. */
  readonly grpcCode: number;
  /** Trailing metadata as strings, e.g. `{"leader-address": "10.0.0.2:7000"}`. */
  readonly details: Readonly<Record<string, string>>;
  /** The RPC, e.g. 'Upsert'. */
  readonly method: string;
  /**
   * The server's hint that the call may be sent again after this many ms (trailing
   * metadata `retry-after-ms`, on RESOURCE_EXHAUSTED when the node is overloaded: its
   * proposal queue is full). Undefined: no hint; retrying as is would not help, or the
   * server does not say.
   */
  readonly retryAfterMs: number | undefined;

  constructor(
    method: string,
    grpcCode: number,
    message: string,
    details: Record<string, string> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RaftvecClientError';
    this.method = method;
    this.grpcCode = grpcCode;
    this.code = statusName(grpcCode);
    this.details = details;
    this.retryAfterMs = parseRetryAfterMs(details[RETRY_AFTER_MS_KEY]);
  }

  static fromServiceError(method: string, err: unknown): RaftvecClientError {
    if (err instanceof RaftvecClientError) return err;
    const e = err as Partial<grpc.ServiceError> | undefined;
    if (e && typeof e.code === 'number') {
      const details: Record<string, string> = {};
      const md = e.metadata instanceof grpc.Metadata ? e.metadata.getMap() : {};
      for (const [k, v] of Object.entries(md)) {
        if (TRANSPORT_HEADERS.has(k) || k.startsWith('grpc-')) continue;
        details[k.endsWith('-bin') ? k.slice(0, -4) : k] =
          typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
      }
      return new RaftvecClientError(
        method,
        e.code,
        e.details || e.message || statusName(e.code),
        details,
        err,
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    return new RaftvecClientError(method, grpc.status.UNKNOWN, message, {}, err);
  }
}
