/**
 * The client's transport: one gRPC channel per known address, per-call
 * deadlines, and a retry policy with exponential backoff and full jitter.
 *
 * Retries are safe for every call the SDK makes: reads are idempotent, and each
 * write carries (clientId, sequence), reused on retry, so the server applies it
 * once. On a retryable failure the transport follows a `leader-address` hint in
 * the trailing metadata if there is one, else moves on to the next address.
 *
 * Back-pressure: an overloaded node refuses a write with RESOURCE_EXHAUSTED and a
 * `retry-after-ms` hint (RaftvecClientError.retryAfterMs). Not retried by default: the
 * caller sees it at once and can shed load. With RESOURCE_EXHAUSTED among the
 * retryable codes, only refusals that carry the hint are retried, to the same node,
 * each after at least the hinted wait (and never past the deadline); any retried error
 * that carries a hint waits at least that long.
 */
import * as grpc from '@grpc/grpc-js';
import { limits } from '../limits.js';
import { loadVectorProto } from '../api/proto.js';
import { LEADER_ADDRESS_KEY } from '../api/metadata-keys.js';
import { RaftvecClientError, type StatusName } from './errors.js';
import { WriteStream } from './write-stream.js';
import type { VectorServiceClient } from '../generated/raftvec/v1/VectorService.js';
import type { CreateCollectionRequest } from '../generated/raftvec/v1/CreateCollectionRequest.js';
import type { CreateCollectionResponse__Output } from '../generated/raftvec/v1/CreateCollectionResponse.js';
import type { DropCollectionRequest } from '../generated/raftvec/v1/DropCollectionRequest.js';
import type { DropCollectionResponse__Output } from '../generated/raftvec/v1/DropCollectionResponse.js';
import type { ListCollectionsRequest } from '../generated/raftvec/v1/ListCollectionsRequest.js';
import type { ListCollectionsResponse__Output } from '../generated/raftvec/v1/ListCollectionsResponse.js';
import type { DescribeCollectionRequest } from '../generated/raftvec/v1/DescribeCollectionRequest.js';
import type { CollectionInfo__Output } from '../generated/raftvec/v1/CollectionInfo.js';
import type { UpsertRequest } from '../generated/raftvec/v1/UpsertRequest.js';
import type { DeleteRequest } from '../generated/raftvec/v1/DeleteRequest.js';
import type { WriteResponse__Output } from '../generated/raftvec/v1/WriteResponse.js';
import type { GetRequest } from '../generated/raftvec/v1/GetRequest.js';
import type { GetResponse__Output } from '../generated/raftvec/v1/GetResponse.js';
import type { SearchRequest } from '../generated/raftvec/v1/SearchRequest.js';
import type { SearchResponse__Output } from '../generated/raftvec/v1/SearchResponse.js';
import type { CountRequest } from '../generated/raftvec/v1/CountRequest.js';
import type { CountResponse__Output } from '../generated/raftvec/v1/CountResponse.js';
import type { ScrollRequest } from '../generated/raftvec/v1/ScrollRequest.js';
import type { ScrollResponse__Output } from '../generated/raftvec/v1/ScrollResponse.js';
import type { SetPayloadRequest } from '../generated/raftvec/v1/SetPayloadRequest.js';
import type { DeletePayloadKeysRequest } from '../generated/raftvec/v1/DeletePayloadKeysRequest.js';
import type { CreatePayloadIndexRequest } from '../generated/raftvec/v1/CreatePayloadIndexRequest.js';
import type { DropPayloadIndexRequest } from '../generated/raftvec/v1/DropPayloadIndexRequest.js';
import type { UpdateBatchRequest } from '../generated/raftvec/v1/UpdateBatchRequest.js';
import type { UpdateBatchResponse__Output } from '../generated/raftvec/v1/UpdateBatchResponse.js';

/** Request and response types of each VectorService RPC. */
export interface VectorRpcs {
  CreateCollection: [CreateCollectionRequest, CreateCollectionResponse__Output];
  DropCollection: [DropCollectionRequest, DropCollectionResponse__Output];
  ListCollections: [ListCollectionsRequest, ListCollectionsResponse__Output];
  DescribeCollection: [DescribeCollectionRequest, CollectionInfo__Output];
  Upsert: [UpsertRequest, WriteResponse__Output];
  Delete: [DeleteRequest, WriteResponse__Output];
  Get: [GetRequest, GetResponse__Output];
  Search: [SearchRequest, SearchResponse__Output];
  Count: [CountRequest, CountResponse__Output];
  Scroll: [ScrollRequest, ScrollResponse__Output];
  SetPayload: [SetPayloadRequest, WriteResponse__Output];
  OverwritePayload: [SetPayloadRequest, WriteResponse__Output];
  DeletePayloadKeys: [DeletePayloadKeysRequest, WriteResponse__Output];
  UpdateBatch: [UpdateBatchRequest, UpdateBatchResponse__Output];
  CreatePayloadIndex: [CreatePayloadIndexRequest, WriteResponse__Output];
  DropPayloadIndex: [DropPayloadIndexRequest, WriteResponse__Output];
}
export type VectorRpc = keyof VectorRpcs;

export interface RetryPolicy {
  /** Attempts in total, including the first. 1 disables retries. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  multiplier: number;
  /**
   * Status codes worth retrying. RESOURCE_EXHAUSTED, if listed, is retried only when
   * the server sent a `retry-after-ms` hint (an overloaded node), after that wait.
   */
  retryableCodes: readonly StatusName[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  initialBackoffMs: 50,
  maxBackoffMs: 2_000,
  multiplier: 2,
  retryableCodes: ['UNAVAILABLE'],
};

export interface TransportOptions {
  retry?: Partial<RetryPolicy>;
  /**
   * Send upserts and deletes as messages on one WriteStream per server instead of a
   * call each (default true): the same answers, at a fraction of the per-call cost.
   * A server without WriteStream is written to with calls.
   */
  writeStream?: boolean;
  /** Extra channel options (e.g. keepalive); message limits default to limits.maxMessageBytes. */
  channelOptions?: grpc.ChannelOptions;
  credentials?: grpc.ChannelCredentials;
  /**
   * An API key (`raftvec keys generate`) sent as `authorization: Bearer <key>` on every
   * call, the WriteStream included, for a server run with `--api-keys-file`.
   */
  apiKey?: string;
}

/**
 * A client interceptor that adds `authorization: Bearer <key>` to every call's metadata
 * (unary and streaming alike); undefined without a key. The key is checked here, once,
 * and never repeated in an error message: it is a secret.
 */
export function apiKeyInterceptor(apiKey: string | undefined): grpc.Interceptor | undefined {
  if (apiKey === undefined) return undefined;
  if (typeof apiKey !== 'string' || !/^[\x21-\x7e]+$/.test(apiKey))
    throw new TypeError(
      'raftvec client: apiKey must be a non-empty string of printable ASCII without spaces (as `raftvec keys generate` prints it)',
    );
  const value = `Bearer ${apiKey}`;
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        // A copy: the caller's Metadata (maybe reused, maybe logged) never holds the key.
        const withKey = metadata.clone();
        withKey.set('authorization', value);
        next(withKey, listener);
      },
    });
}

/** Client options carrying the interceptor of `apiKey`, if any, on top of `options`. */
export function withApiKey(
  options: grpc.ChannelOptions,
  apiKey: string | undefined,
): grpc.ClientOptions {
  const interceptor = apiKeyInterceptor(apiKey);
  return interceptor === undefined ? options : { ...options, interceptors: [interceptor] };
}

/** Addresses a client keeps at most: those it was given, and leaders that hints named. */
const MAX_KNOWN_ADDRESSES = 64;

/** The least time an attempt of a spread read gets (unless less is left). */
const MIN_SPREAD_ATTEMPT_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Whether `err` may be sent again under `policy`: its code is listed, and a
 * RESOURCE_EXHAUSTED carries the server's hint that waiting helps (without one, e.g. an
 * entry or a message too large, it would be refused again).
 */
function retryableUnder(policy: RetryPolicy, err: RaftvecClientError): boolean {
  if (!(policy.retryableCodes as readonly string[]).includes(err.code)) return false;
  return err.code !== 'RESOURCE_EXHAUSTED' || err.retryAfterMs !== undefined;
}

/**
 * How long to wait before the next attempt: full jitter over the backoff, or, when the
 * server hinted a wait, at least that wait plus jitter of up to as much again (bounded
 * by the backoff), so that the clients one overloaded node refused at once do not all
 * come back at once.
 */
export function retryDelayMs(
  err: RaftvecClientError,
  backoffMs: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const jitter = random() * Math.min(backoffMs, policy.maxBackoffMs);
  const hint = err.retryAfterMs;
  if (hint === undefined) return jitter;
  return hint + Math.min(jitter, hint);
}

/** The value of `key` in `map`, made by `create` the first time. */
function cached<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

export class Transport {
  readonly retry: RetryPolicy;
  readonly #addresses: string[];
  #current = 0;
  /** Round-robin position of reads spread over replicas. */
  #spread = -1;
  readonly #clients = new Map<string, VectorServiceClient>();
  readonly #writeStreams = new Map<string, WriteStream>();
  /** Servers that answered WriteStream with UNIMPLEMENTED (older builds). */
  readonly #noWriteStream = new Set<string>();
  readonly #useWriteStream: boolean;
  readonly #channelOptions: grpc.ChannelOptions;
  readonly #credentials: grpc.ChannelCredentials;
  /** Channel options, with the API key's interceptor if there is a key. */
  readonly #clientOptions: grpc.ClientOptions;
  #closed = false;

  constructor(addresses: string | readonly string[], options: TransportOptions = {}) {
    this.#addresses = (typeof addresses === 'string' ? [addresses] : [...addresses]).map((a) =>
      a.trim(),
    );
    if (this.#addresses.length === 0 || this.#addresses.some((a) => a === ''))
      throw new TypeError('raftvec client: give at least one server address (HOST:PORT)');
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#useWriteStream = options.writeStream ?? true;
    this.#channelOptions = {
      'grpc.max_receive_message_length': limits.maxMessageBytes,
      'grpc.max_send_message_length': limits.maxMessageBytes,
      // Channelz records every call, for a debugging service nothing here reads.
      'grpc.enable_channelz': 0,
      // A channel whose connection failed fails every call at once until its reconnect
      // backoff runs out, which gRPC grows to 2 minutes: a node restarted after a crash,
      // and often the new leader, would look down to this client for that long (failovers
      // of 1.3 s where the election took 0.4 s).
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 250,
      ...options.channelOptions,
    };
    this.#credentials = options.credentials ?? grpc.credentials.createInsecure();
    this.#clientOptions = withApiKey(this.#channelOptions, options.apiKey);
  }

  /** The address calls go to now. */
  get address(): string {
    return this.#addresses[this.#current]!;
  }

  get addresses(): readonly string[] {
    return this.#addresses;
  }

  #client(address: string): VectorServiceClient {
    return cached(this.#clients, address, () => {
      const { proto } = loadVectorProto();
      return new proto.raftvec.v1.VectorService(address, this.#credentials, this.#clientOptions);
    });
  }

  #once<M extends VectorRpc>(
    address: string,
    method: M,
    request: VectorRpcs[M][0],
    deadline: Date,
  ): Promise<VectorRpcs[M][1]> {
    const streamed =
      (method === 'Upsert' || method === 'Delete') &&
      this.#useWriteStream &&
      !this.#noWriteStream.has(address);
    if (!streamed) return this.#call(address, method, request, deadline);
    // `method` names the request's type: TypeScript cannot narrow a generic by it.
    const write = { method, request } as Parameters<WriteStream['send']>[0];
    const stream = cached(
      this.#writeStreams,
      address,
      () => new WriteStream(this.#client(address), address),
    );
    return stream.send(write, deadline).catch((err: unknown) => {
      if (!(err instanceof RaftvecClientError && err.code === 'UNIMPLEMENTED')) throw err;
      this.#noWriteStream.add(address);
      return this.#call(address, method, request, deadline);
    }) as Promise<VectorRpcs[M][1]>;
  }

  #call<M extends VectorRpc>(
    address: string,
    method: M,
    request: VectorRpcs[M][0],
    deadline: Date,
  ): Promise<VectorRpcs[M][1]> {
    const client = this.#client(address);
    type UnaryFn = (
      this: VectorServiceClient,
      req: VectorRpcs[M][0],
      md: grpc.Metadata,
      opts: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res: VectorRpcs[M][1]) => void,
    ) => grpc.ClientUnaryCall;
    const fn = (client as unknown as Record<VectorRpc, UnaryFn>)[method];
    return new Promise((resolve, reject) => {
      fn.call(client, request, new grpc.Metadata(), { deadline }, (err, res) => {
        if (err) reject(RaftvecClientError.fromServiceError(method, err));
        else resolve(res);
      });
    });
  }

  /** Where to send the next attempt after `err`: a leader hint, else the next address. */
  #redirect(err: RaftvecClientError): void {
    const hinted = this.#remember(err.details[LEADER_ADDRESS_KEY]);
    this.#current = hinted ?? (this.#current + 1) % this.#addresses.length;
  }

  /**
   * The index of a hinted address among the known ones, added if new; undefined for no
   * hint, or a new one beyond MAX_KNOWN_ADDRESSES (a server cannot make the client keep
   * addresses, and channels to them, without bound).
   */
  #remember(address: string | undefined): number | undefined {
    if (!address) return undefined;
    const i = this.#addresses.indexOf(address);
    if (i >= 0) return i;
    if (this.#addresses.length >= MAX_KNOWN_ADDRESSES) return undefined;
    return this.#addresses.push(address) - 1;
  }

  /** The next replica for a read any replica may serve (round robin over the known addresses). */
  #nextReplica(): string {
    this.#spread = (this.#spread + 1) % this.#addresses.length;
    return this.#addresses[this.#spread]!;
  }

  /**
   * One RPC with retries until `deadline`. Errors are RaftvecClientError.
   *
   * Calls go to the leader as far as the client knows it (the address that last
   * answered, or the one a `leader-address` hint named). With `spread`, for reads any
   * replica may serve (SESSION, BOUNDED, EVENTUAL), each call starts at the next
   * replica in turn, and an attempt gets at most half the time left when there are
   * other replicas to try: a replica that cannot serve in time does not use up the
   * whole deadline.
   */
  async unary<M extends VectorRpc>(
    method: M,
    request: VectorRpcs[M][0],
    deadline: Date,
    options: { spread?: boolean } = {},
  ): Promise<VectorRpcs[M][1]> {
    if (this.#closed)
      throw new RaftvecClientError(method, grpc.status.CANCELLED, 'the client is closed');
    const policy = this.retry;
    const spread = options.spread === true && this.#addresses.length > 1;
    let backoff = policy.initialBackoffMs;
    let address = spread ? this.#nextReplica() : this.address;
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline.getTime() - Date.now();
      const attemptDeadline = spread
        ? new Date(Date.now() + Math.max(Math.min(remaining, MIN_SPREAD_ATTEMPT_MS), remaining / 2))
        : deadline;
      try {
        return await this.#once(address, method, request, attemptDeadline);
      } catch (e) {
        const err = RaftvecClientError.fromServiceError(method, e);
        const retryable =
          retryableUnder(policy, err) ||
          // Reads are idempotent: an attempt cut short by its own share of the time may go again.
          (spread && err.code === 'DEADLINE_EXCEEDED' && attemptDeadline < deadline);
        if (!retryable || attempt >= policy.maxAttempts || this.#closed) throw err;
        const delay = retryDelayMs(err, backoff, policy);
        // A wait (the server's hinted one included) that does not fit before the deadline:
        // the error now rather than at the deadline.
        if (Date.now() + delay >= deadline.getTime()) throw err;
        if (spread) {
          const hinted = this.#remember(err.details[LEADER_ADDRESS_KEY]);
          if (hinted !== undefined) this.#current = hinted;
          address = hinted !== undefined ? this.#addresses[hinted]! : this.#nextReplica();
        } else if (err.code !== 'RESOURCE_EXHAUSTED') {
          this.#redirect(err);
          address = this.address;
        }
        // else: the node that refused is up and leads, only busy; another would send us back.
        await sleep(delay);
        backoff *= policy.multiplier;
      }
    }
  }

  close(): void {
    this.#closed = true;
    for (const stream of this.#writeStreams.values()) stream.close();
    this.#writeStreams.clear();
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
