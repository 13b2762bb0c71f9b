/**
 * RaftvecClient: a typed, promise-based client for raftvec.v1.VectorService.
 *
 * Every write carries this client's id and the next sequence number, reused when
 * the transport retries it, so the server applies it once. Because the server
 * remembers the highest sequence applied per client, one client sends its writes
 * one at a time, in sequence order (reads are not queued). For parallel writes,
 * use several clients.
 *
 * Reads take a consistency level (docs/consistency.md). LINEARIZABLE (the default)
 * and LEASE go to the leader; SESSION, BOUNDED and EVENTUAL are spread over the
 * replicas in turn. Every write and read feeds the client's Session (or the one
 * passed in), so SESSION reads see this client's own writes, and never go back.
 */
import { randomUUID } from 'node:crypto';
import type {
  CollectionInfo,
  Filter,
  Metadata,
  Metric,
  PayloadIndexType,
  ScrollPage,
  SearchHit,
  StoredPoint,
} from '../domain.js';
import { RaftvecError, inOperation, invalidArgument } from '../errors.js';
import {
  Transport,
  type RetryPolicy,
  type TransportOptions,
  type VectorRpc,
  type VectorRpcs,
} from './transport.js';
import { RaftvecClientError } from './errors.js';
import {
  filterToProto,
  metadataToStruct,
  metricFromProto,
  payloadIndexTypeFromProto,
  payloadIndexTypeToProto,
  metricToProto,
  structToMetadata,
  vectorToF32Bytes,
  readInfoFromProto,
  readRequirementToProto,
  writeConcernToProto,
  type ReadConsistency,
  type ReadInfo,
  type ReadRequirement,
  type WriteConcern,
} from '../api/conversions.js';
import { Session } from './session.js';
import type { ReadOptions as ProtoReadOptions } from '../generated/raftvec/v1/ReadOptions.js';
import type { ReadInfo__Output } from '../generated/raftvec/v1/ReadInfo.js';
import type { CollectionInfo__Output } from '../generated/raftvec/v1/CollectionInfo.js';
import type { Point as ProtoPoint, Point__Output } from '../generated/raftvec/v1/Point.js';
import type { BatchOperation as ProtoBatchOperation } from '../generated/raftvec/v1/BatchOperation.js';
import type { ScoredPoint__Output } from '../generated/raftvec/v1/ScoredPoint.js';
import type { WriteOptions } from '../generated/raftvec/v1/WriteOptions.js';
import type { Filter as ProtoFilter } from '../generated/raftvec/v1/Filter.js';
import type { QueryVector } from '../generated/raftvec/v1/QueryVector.js';
import * as grpc from '@grpc/grpc-js';
import { channelCredentials, type ClientTlsOptions } from './tls.js';

export interface RaftvecClientOptions {
  /** Deadline of each call, including retries. Default 10 s. */
  deadlineMs?: number;
  /** Id for write deduplication. Default: a random UUID per client instance. */
  clientId?: string;
  /**
   * First sequence number minus one. Default 0 for a random client id; for a
   * given `clientId`, the current time in microseconds, so a restarted process
   * reusing its id keeps sequences increasing (the server drops writes whose
   * sequence is not above the last one it applied for that id).
   */
  initialSequence?: number;
  retry?: Partial<RetryPolicy>;
  channelOptions?: grpc.ChannelOptions;
  /**
   * TLS to servers run with `--tls-cert`: `true` trusts the system's root certificates;
   * `{ ca }` a private CA (PEM). Ignored when `credentials` is given.
   */
  tls?: boolean | ClientTlsOptions;
  /** gRPC channel credentials, for what `tls` does not cover. Default: per `tls`. */
  credentials?: grpc.ChannelCredentials;
  /**
   * An API key for a server run with `--api-keys-file` (`raftvec keys generate` makes
   * one): sent as `authorization: Bearer <key>` on every call, the WriteStream
   * included. Without one, such a server answers UNAUTHENTICATED. Nothing is read from
   * the environment here (the CLI reads RAFTVEC_API_KEY).
   */
  apiKey?: string;
  /**
   * Upserts and deletes as messages on one stream per server (VectorService.WriteStream)
   * rather than a call each. Default true; the answers are the same.
   */
  writeStream?: boolean;
  /** Consistency of reads that name none. Default `linearizable`. */
  consistency?: ReadConsistency;
  /** `maxStalenessMs` of `bounded` reads that name none. Default 1000. */
  maxStalenessMs?: number;
  /** The client's session (default: a new one); pass `Session.resume(token)` to carry one over. */
  session?: Session;
}

export interface CallOptions {
  /** Overrides the client's deadlineMs for this call. */
  deadlineMs?: number;
}

export interface WriteCallOptions extends CallOptions {
  /** Default `majority`. */
  writeConcern?: WriteConcern;
  /** The session that records this write's log index (default: the client's own). */
  session?: Session;
}

/** How fresh a read must be (docs/consistency.md), and what the caller learns of it. */
export interface ConsistencyOptions extends CallOptions {
  /** Default: the client's `consistency` option (itself `linearizable` by default). */
  consistency?: ReadConsistency;
  /** For `bounded`: how much older than now the state may be, in ms. */
  maxStalenessMs?: number;
  /**
   * The session whose token a `session` read sends, and that records what every read
   * saw (default: the client's own).
   */
  session?: Session;
  /** Called with the replica that served the read and how fresh its state was. */
  onReadInfo?: (info: ReadInfo) => void;
}

export interface CreateCollectionOptions extends WriteCallOptions {
  dimension: number;
  /** Default `l2`. */
  metric?: Metric;
  /** FAISS factory string. Default `Flat`. */
  indexSpec?: string;
  /**
   * HNSW indexes: the search breadth of searches that name none (a search's own
   * `efSearch` overrides it). Default 256. Larger finds more of the
   * true nearest neighbours, more slowly (README, "Choosing efSearch").
   */
  efSearch?: number;
}

export interface UpsertPoint {
  id: string;
  vector: Float32Array | readonly number[];
  metadata?: Metadata;
}

export interface WriteResult {
  /** The Raft log index of the write: a token for read-your-writes reads. */
  logIndex: number;
  /**
   * Payload updates (setPayload, overwritePayload, deletePayloadKeys): how many points
   * the update applied to. Absent for other writes.
   */
  updated?: number;
}

/**
 * Which points a write applies to: a list of ids (`['a', 'b']` or `{ ids: [...] }`), or
 * every point matching a filter (`{ filter }`, at least one condition).
 */
export type PointSelection = readonly string[] | { ids: readonly string[] } | { filter: Filter };

/**
 * One operation of {@link RaftvecClient.updateBatch}: an object with exactly one of
 * these keys, each taking what the write of the same name takes.
 *
 * ```ts
 * { upsert: [{ id: 'a', vector: [1, 0], metadata: { n: 1 } }] }
 * { delete: ['b'] }                                   // or { delete: { filter } }
 * { setPayload: { points: ['a'], payload: { seen: true } } }
 * { overwritePayload: { points: { filter }, payload: {} } }
 * { deletePayloadKeys: { points: ['a'], keys: ['draft'] } }
 * ```
 */
export type BatchOperationInput =
  | { upsert: readonly UpsertPoint[] }
  | { delete: PointSelection }
  | { setPayload: { points: PointSelection; payload: Metadata } }
  | { overwritePayload: { points: PointSelection; payload: Metadata } }
  | { deletePayloadKeys: { points: PointSelection; keys: readonly string[] } };

/** What one operation of a batch did (0 for what it does not do). */
export interface BatchOperationResult {
  upserted: number;
  deleted: number;
  /** Points a payload operation applied to. */
  updated: number;
}

export interface UpdateBatchResult {
  /** One per operation, in order. */
  results: BatchOperationResult[];
  /** The Raft log index of the whole batch (one entry): a token for read-your-writes reads. */
  logIndex: number;
}

export interface ReadOptions extends ConsistencyOptions {
  /** Return vectors. Default: true for get/scroll, false for search. */
  withVector?: boolean;
  /** Return metadata. Default true. */
  withMetadata?: boolean;
  /**
   * Return only these metadata keys (dotted paths such as `author.name`); keys a point
   * lacks are left out. Implies `withMetadata` (which must then not be false). Empty or
   * absent: all of the metadata.
   */
  metadataKeys?: readonly string[];
}

/**
 * One query of a search: a vector, or the id of a stored point whose vector is the
 * query (that point is left out of its own hits), with a filter and k of its own if
 * given (instead of the search's `filter` and `k`).
 */
export interface SearchTarget {
  vector?: Vector;
  pointId?: string;
  filter?: Filter;
  k?: number;
}

export interface SearchOptions extends ReadOptions {
  /** Neighbours per query (a query's own `k` overrides it). Default 10. */
  k?: number;
  /** Applies to every query that has no filter of its own. */
  filter?: Filter;
  /** HNSW search depth (index default if absent). */
  efSearch?: number;
  /** IVF cells to probe (index default if absent). */
  nprobe?: number;
  /**
   * Leave out hits beyond this score: for `l2` those farther than it (score above it,
   * a squared distance), for `ip` and `cosine` those less similar (score below it).
   */
  scoreThreshold?: number;
}

export interface ScrollOptions extends ReadOptions {
  /** Start after this id (exclusive); absent: from the first id. */
  afterId?: string;
  /** Page size. Default: the server's (100). */
  limit?: number;
  filter?: Filter;
}

export interface CountOptions extends ConsistencyOptions {
  filter?: Filter;
}

type Vector = Float32Array | readonly number[];

/** A query of a search: a vector, or a {@link SearchTarget}. */
export type SearchQueryInput = Vector | SearchTarget;

const isTarget = (q: unknown): q is SearchTarget =>
  q !== null && typeof q === 'object' && !Array.isArray(q) && !(q instanceof Float32Array);

/** One query (a vector or a target), as opposed to a list of them. */
const isSingleQuery = (q: SearchQueryInput | readonly SearchQueryInput[]): q is SearchQueryInput =>
  q instanceof Float32Array ||
  isTarget(q) ||
  (Array.isArray(q) && q.length > 0 && typeof q[0] === 'number');

/** A query of a search on the wire; `i` names it in messages. */
function queryToProto(q: SearchQueryInput, i: number): QueryVector {
  if (!isTarget(q)) return { valuesF32: vectorToF32Bytes(q) };
  const hasVector = q.vector !== undefined;
  const hasPoint = q.pointId !== undefined;
  if (!hasVector && !hasPoint)
    throw invalidArgument(
      `query ${i}: give a vector or a pointId (the id of a stored point to search by)`,
    );
  return {
    ...(hasVector && { valuesF32: vectorToF32Bytes(q.vector!) }),
    ...(hasPoint && { pointId: q.pointId }),
    ...(q.filter !== undefined && { filter: filterToProto(q.filter) }),
    ...(q.k !== undefined && { k: q.k }),
  };
}

const hasNoCondition = (f: ProtoFilter): boolean =>
  (f.must?.length ?? 0) + (f.should?.length ?? 0) + (f.mustNot?.length ?? 0) === 0;

const isIdList = (p: PointSelection): p is readonly string[] => Array.isArray(p);

/** The points of a write by ids or by filter, on the wire. */
function selectionToProto(points: PointSelection): { ids: string[]; filter: ProtoFilter | null } {
  if (isIdList(points)) return { ids: [...points], filter: null };
  if (points === null || typeof points !== 'object')
    throw invalidArgument('give the points as a list of ids, { ids: [...] } or { filter: {...} }');
  const ids = 'ids' in points && points.ids !== undefined ? [...points.ids] : [];
  if (!('filter' in points) || points.filter === undefined) return { ids, filter: null };
  const filter = filterToProto(points.filter)!;
  // On the wire an empty filter is no filter: say so rather than have the server
  // read it as an empty list of ids.
  if (hasNoCondition(filter))
    throw invalidArgument(
      'filter: a write by filter needs at least one condition (an empty filter would match every point; to remove them all, drop the collection)',
    );
  return { ids, filter };
}

/** A point of an upsert on the wire, its vector as float32 bytes. */
function pointToProto(p: UpsertPoint): ProtoPoint {
  return {
    id: p.id,
    vectorF32: vectorToF32Bytes(p.vector),
    metadata: metadataToStruct(p.metadata ?? {}),
  };
}

const BATCH_OPERATION_KINDS = [
  'upsert',
  'delete',
  'setPayload',
  'overwritePayload',
  'deletePayloadKeys',
] as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The body of a payload operation (`what` names it in messages): an object. */
function payloadBody(body: unknown, what: string): Record<string, unknown> {
  if (!isPlainObject(body))
    throw invalidArgument(
      what === 'deletePayloadKeys'
        ? `${what} takes { points, keys }, e.g. { points: ['a'], keys: ['draft'] }`
        : `${what} takes { points, payload }, e.g. { points: ['a'], payload: { seen: true } }`,
    );
  return body;
}

/**
 * One operation of a batch on the wire; throws INVALID_ARGUMENT (without the
 * operation's index: see {@link RaftvecClient.updateBatch}) for one of the wrong shape.
 */
export function batchOperationToProto(operation: BatchOperationInput): ProtoBatchOperation {
  const kinds = BATCH_OPERATION_KINDS.join(', ');
  // Checked as unknown: operations often come from JSON (the CLI's update-batch).
  const op: unknown = operation;
  if (!isPlainObject(op)) throw invalidArgument(`an operation is an object with one of ${kinds}`);
  const keys = Object.keys(op).filter((k) => op[k] !== undefined);
  if (keys.length !== 1) {
    throw invalidArgument(
      keys.length === 0
        ? `the operation is empty: give one of ${kinds}`
        : `one operation per item, got ${keys.join(' and ')}: give each its own item`,
    );
  }
  const kind = keys[0]!;
  const body: unknown = op[kind];
  switch (kind) {
    case 'upsert': {
      if (!Array.isArray(body))
        throw invalidArgument('upsert takes a list of points ({ id, vector, metadata? })');
      return {
        upsert: {
          points: body.map((p: unknown, j) => {
            if (!isPlainObject(p)) throw invalidArgument(`point ${j}: not an object`);
            if (!(p.vector instanceof Float32Array) && !Array.isArray(p.vector))
              throw invalidArgument(`point ${j}: vector must be a list of numbers`);
            return pointToProto(p as unknown as UpsertPoint);
          }),
        },
      };
    }
    case 'delete':
      return { delete: selectionToProto(body as PointSelection) };
    case 'setPayload':
    case 'overwritePayload': {
      const { points, payload } = payloadBody(body, kind);
      if (!isPlainObject(payload)) throw invalidArgument(`${kind}: payload must be a JSON object`);
      return {
        [kind]: {
          ...selectionToProto(points as PointSelection),
          payload: metadataToStruct(payload as Metadata),
        },
      };
    }
    case 'deletePayloadKeys': {
      const { points, keys: payloadKeys } = payloadBody(body, kind);
      if (!Array.isArray(payloadKeys))
        throw invalidArgument(`${kind}: keys must be a list of metadata keys`);
      return {
        deletePayloadKeys: {
          ...selectionToProto(points as PointSelection),
          keys: payloadKeys as string[],
        },
      };
    }
    default:
      throw invalidArgument(`unknown operation ${JSON.stringify(kind)}: give one of ${kinds}`);
  }
}

/** `withMetadata` and `metadataKeys` of a read, checked against each other. */
function metadataSelection(opts: ReadOptions | undefined): {
  withMetadata: boolean;
  metadataKeys: string[];
} {
  const metadataKeys = [...(opts?.metadataKeys ?? [])];
  if (metadataKeys.length > 0 && opts?.withMetadata === false)
    throw invalidArgument(
      'metadataKeys asks for metadata, and withMetadata is false: leave one of them out',
    );
  return { withMetadata: metadataKeys.length > 0 || (opts?.withMetadata ?? true), metadataKeys };
}

function collectionFromProto(c: CollectionInfo__Output | null): CollectionInfo {
  if (!c)
    throw new RaftvecClientError(
      'DescribeCollection',
      grpc.status.INTERNAL,
      'server sent no collection info',
    );
  return {
    name: c.name,
    dimension: c.dimension,
    metric: metricFromProto(c.metric),
    indexSpec: c.indexSpec,
    ...(c.efSearch > 0 && { efSearch: c.efSearch }),
    pointCount: c.pointCount,
    payloadIndexes: c.payloadIndexes.map((p) => ({
      key: p.key,
      type: payloadIndexTypeFromProto(p.type),
    })),
  };
}

function pointFromProto(p: Point__Output, withVector: boolean, withMetadata: boolean): StoredPoint {
  const out: StoredPoint = { id: p.id };
  if (withVector) out.vector = Float32Array.from(p.vector);
  if (withMetadata) out.metadata = structToMetadata(p.metadata, `metadata of point "${p.id}"`);
  return out;
}

function hitFromProto(
  h: ScoredPoint__Output,
  withVector: boolean,
  withMetadata: boolean,
): SearchHit {
  const out: SearchHit = { id: h.id, score: h.score };
  if (withVector) out.vector = Float32Array.from(h.vector);
  if (withMetadata) out.metadata = structToMetadata(h.metadata, `metadata of point "${h.id}"`);
  return out;
}

export class RaftvecClient {
  readonly clientId: string;
  readonly deadlineMs: number;
  /** Fed by every write and read of this client that names no other session. */
  readonly session: Session;
  readonly #consistency: ReadConsistency;
  readonly #maxStalenessMs: number;
  readonly #transport: Transport;
  #sequence: number;
  #writeLane: Promise<unknown> = Promise.resolve();

  constructor(address: string | readonly string[], options: RaftvecClientOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? 10_000;
    this.session = options.session ?? new Session();
    this.#consistency = options.consistency ?? 'linearizable';
    this.#maxStalenessMs = options.maxStalenessMs ?? 1000;
    this.clientId = options.clientId ?? randomUUID();
    this.#sequence =
      options.initialSequence ?? (options.clientId === undefined ? 0 : Date.now() * 1000);
    if (!Number.isSafeInteger(this.#sequence) || this.#sequence < 0)
      throw new TypeError(
        `initialSequence must be a non-negative safe integer, got ${this.#sequence}`,
      );
    const transportOptions: TransportOptions = {
      ...(options.retry && { retry: options.retry }),
      ...(options.channelOptions && { channelOptions: options.channelOptions }),
      credentials: options.credentials ?? channelCredentials(options.tls),
      ...(options.writeStream !== undefined && { writeStream: options.writeStream }),
      ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
    };
    this.#transport = new Transport(address, transportOptions);
  }

  /** The address calls currently go to. */
  get address(): string {
    return this.#transport.address;
  }

  /** The sequence number of the last write this client sent. */
  get lastSequence(): number {
    return this.#sequence;
  }

  #deadline(opts?: CallOptions): Date {
    return new Date(Date.now() + (opts?.deadlineMs ?? this.deadlineMs));
  }

  /** Encoding errors (bad metric, bad metadata) surface as RaftvecClientError too. */
  #encode<T>(method: VectorRpc, f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof RaftvecError)
        throw new RaftvecClientError(
          method,
          grpc.status[err.code],
          err.message,
          { ...err.details },
          err,
        );
      throw err;
    }
  }

  /** A read with its consistency level: sent, routed, and its ReadInfo recorded. */
  async #read<M extends 'Get' | 'Search' | 'Count' | 'Scroll'>(
    method: M,
    build: (readOptions: ProtoReadOptions) => VectorRpcs[M][0],
    opts?: ConsistencyOptions,
  ): Promise<VectorRpcs[M][1]> {
    const session = opts?.session ?? this.session;
    const requirement = this.#encode(method, () => this.#requirement(opts, session));
    const readOptions = this.#encode(method, () => readRequirementToProto(requirement));
    const res = await this.#transport.unary(method, build(readOptions), this.#deadline(opts), {
      spread: ['session', 'bounded', 'eventual'].includes(requirement.consistency),
    });
    const info = readInfoFromProto((res as { readInfo?: ReadInfo__Output | null }).readInfo);
    if (info !== undefined) {
      // Monotonic reads: what this read saw, the session's next reads must see too.
      session.observe(info.appliedIndex);
      opts?.onReadInfo?.(info);
    }
    return res;
  }

  #requirement(opts: ConsistencyOptions | undefined, session: Session): ReadRequirement {
    const consistency = opts?.consistency ?? this.#consistency;
    switch (consistency) {
      case 'bounded':
        return { consistency, maxStalenessMs: opts?.maxStalenessMs ?? this.#maxStalenessMs };
      case 'session':
        return { consistency, minAppliedIndex: session.token };
      default:
        if (opts?.maxStalenessMs !== undefined)
          throw invalidArgument(
            `maxStalenessMs is for bounded reads only; this read is ${String(consistency)}`,
          );
        return { consistency } as ReadRequirement;
    }
  }

  /** A read of the collection list: always at the leader, linearizable. */
  #readCollections<M extends 'ListCollections' | 'DescribeCollection'>(
    method: M,
    request: VectorRpcs[M][0],
    opts?: CallOptions,
  ): Promise<VectorRpcs[M][1]> {
    return this.#transport.unary(method, request, this.#deadline(opts));
  }

  /** Sends a write in this client's order, with the next sequence number. */
  #write<M extends VectorRpc>(
    method: M,
    build: (options: WriteOptions) => VectorRpcs[M][0],
    opts?: WriteCallOptions,
  ): Promise<VectorRpcs[M][1]> {
    const deadline = this.#deadline(opts);
    const writeConcern = this.#encode(method, () => writeConcernToProto(opts?.writeConcern));
    const session = opts?.session ?? this.session;
    const run = async (): Promise<VectorRpcs[M][1]> => {
      const sequence = ++this.#sequence;
      const request = build({ writeConcern, clientId: this.clientId, sequence });
      const res = await this.#transport.unary(method, request, deadline);
      // Read-your-writes: the session's reads must see this write.
      const logIndex = (res as { logIndex?: number }).logIndex;
      if (typeof logIndex === 'number') session.observe(logIndex);
      return res;
    };
    const p = this.#writeLane.then(run);
    this.#writeLane = p.catch(() => undefined);
    return p;
  }

  async createCollection(
    name: string,
    options: CreateCollectionOptions,
  ): Promise<{ collection: CollectionInfo } & WriteResult> {
    const metric = this.#encode('CreateCollection', () => metricToProto(options.metric ?? 'l2'));
    const res = await this.#write(
      'CreateCollection',
      (wo) => ({
        name,
        dimension: options.dimension,
        metric,
        indexSpec: options.indexSpec ?? '',
        efSearch: options.efSearch ?? 0,
        options: wo,
      }),
      options,
    );
    return { collection: collectionFromProto(res.collection), logIndex: res.logIndex };
  }

  async dropCollection(name: string, opts?: WriteCallOptions): Promise<WriteResult> {
    const res = await this.#write('DropCollection', (wo) => ({ name, options: wo }), opts);
    return { logIndex: res.logIndex };
  }

  async listCollections(opts?: CallOptions): Promise<CollectionInfo[]> {
    const res = await this.#readCollections('ListCollections', {}, opts);
    return res.collections.map(collectionFromProto);
  }

  async describeCollection(name: string, opts?: CallOptions): Promise<CollectionInfo> {
    return collectionFromProto(await this.#readCollections('DescribeCollection', { name }, opts));
  }

  /** Inserts or replaces points, atomically: all of them or none. */
  async upsert(
    collection: string,
    points: readonly UpsertPoint[],
    opts?: WriteCallOptions,
  ): Promise<{ upserted: number } & WriteResult> {
    const wirePoints = this.#encode('Upsert', () => points.map(pointToProto));
    const res = await this.#write(
      'Upsert',
      (wo) => ({ collection, points: wirePoints, options: wo }),
      opts,
    );
    return { upserted: res.upserted, logIndex: res.logIndex };
  }

  /**
   * Deletes points by id (ids that do not exist are ignored), or every point matching a
   * filter (`{ filter }`), atomically. A delete by filter changes at most
   * 100,000 points (FAILED_PRECONDITION beyond: narrow the filter).
   */
  async delete(
    collection: string,
    points: PointSelection,
    opts?: WriteCallOptions,
  ): Promise<{ deleted: number } & WriteResult> {
    const selection = this.#encode('Delete', () => selectionToProto(points));
    const res = await this.#write(
      'Delete',
      (wo) => ({ collection, ...selection, options: wo }),
      opts,
    );
    return { deleted: res.deleted, logIndex: res.logIndex };
  }

  /**
   * Sets these top-level metadata keys of the points (keeping their other keys), without
   * resending vectors. By ids, every one must exist (NOT_FOUND otherwise, and nothing
   * changes); by filter, every matching point (at most 100,000). All or nothing: if the
   * metadata of one point would become invalid (too large, too deep), none changes.
   */
  async setPayload(
    collection: string,
    points: PointSelection,
    payload: Metadata,
    opts?: WriteCallOptions,
  ): Promise<{ updated: number } & WriteResult> {
    return this.#payloadWrite('SetPayload', collection, points, payload, opts);
  }

  /** Replaces the whole metadata of the points; otherwise as {@link setPayload}. */
  async overwritePayload(
    collection: string,
    points: PointSelection,
    payload: Metadata,
    opts?: WriteCallOptions,
  ): Promise<{ updated: number } & WriteResult> {
    return this.#payloadWrite('OverwritePayload', collection, points, payload, opts);
  }

  /**
   * Removes these metadata keys (dotted paths; through an array, from each of its
   * elements) from the points; keys a point lacks are ignored. Otherwise as
   * {@link setPayload}.
   */
  async deletePayloadKeys(
    collection: string,
    points: PointSelection,
    keys: readonly string[],
    opts?: WriteCallOptions,
  ): Promise<{ updated: number } & WriteResult> {
    const selection = this.#encode('DeletePayloadKeys', () => selectionToProto(points));
    const res = await this.#write(
      'DeletePayloadKeys',
      (wo) => ({ collection, ...selection, keys: [...keys], options: wo }),
      opts,
    );
    return { updated: res.updated, logIndex: res.logIndex };
  }

  async #payloadWrite(
    method: 'SetPayload' | 'OverwritePayload',
    collection: string,
    points: PointSelection,
    payload: Metadata,
    opts: WriteCallOptions | undefined,
  ): Promise<{ updated: number } & WriteResult> {
    const { selection, struct } = this.#encode(method, () => ({
      selection: selectionToProto(points),
      struct: metadataToStruct(payload),
    }));
    const res = await this.#write(
      method,
      (wo) => ({ collection, ...selection, payload: struct, options: wo }),
      opts,
    );
    return { updated: res.updated, logIndex: res.logIndex };
  }

  /**
   * Several writes to one collection as one log entry ({@link BatchOperationInput}:
   * upsert, delete, setPayload, overwritePayload, deletePayloadKeys), applied in order,
   * each seeing the ones before it (a payload can be set on a point upserted earlier in
   * the batch), all of them or none: the first operation refused refuses the whole
   * batch, with its code and a message starting `operation <i>: `. At most 256
   * operations, and 10,000 upserted points in all. Like every write it carries this
   * client's session, so a retry after a failover is applied once.
   */
  async updateBatch(
    collection: string,
    operations: readonly BatchOperationInput[],
    opts?: WriteCallOptions,
  ): Promise<UpdateBatchResult> {
    const wireOperations = this.#encode('UpdateBatch', () => {
      if (!Array.isArray(operations))
        throw invalidArgument('give the operations of the batch as a list');
      return operations.map((op, i) => inOperation(i, () => batchOperationToProto(op)));
    });
    const res = await this.#write(
      'UpdateBatch',
      (wo) => ({ collection, operations: wireOperations, options: wo }),
      opts,
    );
    return {
      results: res.results.map((r) => ({
        upserted: r.upserted,
        deleted: r.deleted,
        updated: r.updated,
      })),
      logIndex: res.logIndex,
    };
  }

  /**
   * Indexes the values at a metadata key (a dotted path) so that filters on it run
   * without reading every point (docs/filters.md: which conditions each type answers).
   * Creating one that exists with the same type changes nothing; another type replaces it.
   */
  async createPayloadIndex(
    collection: string,
    key: string,
    type: PayloadIndexType,
    opts?: WriteCallOptions,
  ): Promise<WriteResult> {
    const protoType = this.#encode('CreatePayloadIndex', () => payloadIndexTypeToProto(type));
    const res = await this.#write(
      'CreatePayloadIndex',
      (wo) => ({ collection, key, type: protoType, options: wo }),
      opts,
    );
    return { logIndex: res.logIndex };
  }

  /** Drops the payload index on `key` (NOT_FOUND if there is none). */
  async dropPayloadIndex(
    collection: string,
    key: string,
    opts?: WriteCallOptions,
  ): Promise<WriteResult> {
    const res = await this.#write(
      'DropPayloadIndex',
      (wo) => ({ collection, key, options: wo }),
      opts,
    );
    return { logIndex: res.logIndex };
  }

  /** The points that exist, in the order asked. */
  async get(
    collection: string,
    ids: readonly string[],
    opts?: ReadOptions,
  ): Promise<StoredPoint[]> {
    const withVector = opts?.withVector ?? true;
    const { withMetadata, metadataKeys } = this.#encode('Get', () => metadataSelection(opts));
    const res = await this.#read(
      'Get',
      (readOptions) => ({
        collection,
        ids: [...ids],
        withVector,
        withMetadata,
        metadataKeys,
        readOptions,
      }),
      opts,
    );
    return res.points.map((p) => pointFromProto(p, withVector, withMetadata));
  }

  /**
   * Nearest neighbours of one query (hits, best first) or of several (one list per
   * query, in order). A query is a vector, or a {@link SearchTarget}: a vector or a
   * stored point's id to search by, with its own filter and k if given, e.g.
   * `search('c', [{ pointId: 'p1' }, { vector: [1, 0], k: 3, filter }], { k: 10 })`.
   */
  search(collection: string, query: SearchQueryInput, opts?: SearchOptions): Promise<SearchHit[]>;
  search(
    collection: string,
    queries: readonly SearchQueryInput[],
    opts?: SearchOptions,
  ): Promise<SearchHit[][]>;
  async search(
    collection: string,
    queryOrQueries: SearchQueryInput | readonly SearchQueryInput[],
    opts?: SearchOptions,
  ): Promise<SearchHit[] | SearchHit[][]> {
    const single = isSingleQuery(queryOrQueries);
    const list: readonly SearchQueryInput[] = single
      ? [queryOrQueries]
      : (queryOrQueries as readonly SearchQueryInput[]);
    const withVector = opts?.withVector ?? false;
    const { filter, queries, withMetadata, metadataKeys } = this.#encode('Search', () => ({
      filter: filterToProto(opts?.filter),
      queries: list.map(queryToProto),
      ...metadataSelection(opts),
    }));
    const res = await this.#read(
      'Search',
      (readOptions) => ({
        readOptions,
        collection,
        queries,
        k: opts?.k ?? 10,
        filter,
        withVector,
        withMetadata,
        metadataKeys,
        efSearch: opts?.efSearch ?? 0,
        nprobe: opts?.nprobe ?? 0,
        ...(opts?.scoreThreshold !== undefined && { scoreThreshold: opts.scoreThreshold }),
      }),
      opts,
    );
    const results = res.results.map((r) =>
      r.hits.map((h) => hitFromProto(h, withVector, withMetadata)),
    );
    return single ? (results[0] ?? []) : results;
  }

  /**
   * The nearest neighbours of a stored point (its own vector as the query), the point
   * itself left out: "more like this one". NOT_FOUND if the point does not exist.
   */
  searchByPoint(collection: string, pointId: string, opts?: SearchOptions): Promise<SearchHit[]> {
    return this.search(collection, { pointId }, opts);
  }

  async count(collection: string, opts?: CountOptions): Promise<number> {
    const filter = this.#encode('Count', () => filterToProto(opts?.filter));
    const res = await this.#read(
      'Count',
      (readOptions) => ({ collection, filter, readOptions }),
      opts,
    );
    return res.count;
  }

  /** One page of points in id order; pass `nextAfterId` as `afterId` for the next page. */
  async scroll(collection: string, opts?: ScrollOptions): Promise<ScrollPage> {
    const withVector = opts?.withVector ?? true;
    const { filter, withMetadata, metadataKeys } = this.#encode('Scroll', () => ({
      filter: filterToProto(opts?.filter),
      ...metadataSelection(opts),
    }));
    const res = await this.#read(
      'Scroll',
      (readOptions) => ({
        readOptions,
        collection,
        afterId: opts?.afterId ?? '',
        limit: opts?.limit ?? 0,
        filter,
        withVector,
        withMetadata,
        metadataKeys,
      }),
      opts,
    );
    const page: ScrollPage = {
      points: res.points.map((p) => pointFromProto(p, withVector, withMetadata)),
    };
    if (res.nextAfterId !== '') page.nextAfterId = res.nextAfterId;
    return page;
  }

  close(): void {
    this.#transport.close();
  }
}
