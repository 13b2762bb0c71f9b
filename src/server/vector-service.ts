/**
 * raftvec.v1.VectorService: proto <-> domain conversion, validation before
 * proposing (bad input never enters the log), writes through a WritePath, reads
 * from the state machine, and every error mapped to its gRPC status.
 */
import { commitTrace, commitTraceNow, commitTraceOn } from '../commit-trace.js';
import type * as grpc from '@grpc/grpc-js';
import type {
  ApplyResult,
  BatchOperation,
  ClientSession,
  CollectionInfo,
  Command,
  Filter,
  MetadataSelection,
  PayloadUpdate,
  Point,
  PointSelector,
  ScrollPage,
  ScrollQuery,
  SearchHit,
  SearchQuery,
  SearchTarget,
  StoredPoint,
} from '../domain.js';
import { RaftvecError, inOperation, invalidArgument } from '../errors.js';
import { overloaded } from './raft-errors.js';
import {
  RESPONSE_POINT_OVERHEAD_BYTES,
  responseVectorBytes,
  validateCollectionName,
  validateCollectionSpec,
  validateFilter,
  validateIds,
  validateBatchShape,
  validateMetadataKeys,
  validatePayloadIndexSpec,
  validatePayloadUpdate,
  validatePointCount,
  validatePointSelector,
  validatePoints,
  validateScroll,
  validateSearch,
  validateVectorLength,
  validateVectorResponse,
} from '../validation.js';
import { limits } from '../limits.js';
import {
  filterFromProto,
  metadataToStruct,
  metricFromProto,
  metricToProto,
  payloadIndexTypeFromProto,
  payloadIndexTypeToProto,
  structToMetadata,
  wireVector,
  wireVectorLength,
  readInfoToProto,
  readRequirementFromProto,
  writeConcernFromProto,
} from '../api/conversions.js';
import type { ReadOptions__Output } from '../generated/raftvec/v1/ReadOptions.js';
import type { ReadInfo as ProtoReadInfo } from '../generated/raftvec/v1/ReadInfo.js';
import { localReadPath, type ReadPath } from './read-path.js';
import type { VectorServiceHandlers } from '../generated/raftvec/v1/VectorService.js';
import type { CollectionInfo as ProtoCollectionInfo } from '../generated/raftvec/v1/CollectionInfo.js';
import type { Point as ProtoPoint } from '../generated/raftvec/v1/Point.js';
import type { ScoredPoint } from '../generated/raftvec/v1/ScoredPoint.js';
import type { QueryVector__Output } from '../generated/raftvec/v1/QueryVector.js';
import type { WriteOptions__Output } from '../generated/raftvec/v1/WriteOptions.js';
import type { UpsertRequest__Output } from '../generated/raftvec/v1/UpsertRequest.js';
import type { DeleteRequest__Output } from '../generated/raftvec/v1/DeleteRequest.js';
import type { SetPayloadRequest__Output } from '../generated/raftvec/v1/SetPayloadRequest.js';
import type { DeletePayloadKeysRequest__Output } from '../generated/raftvec/v1/DeletePayloadKeysRequest.js';
import type { Filter__Output } from '../generated/raftvec/v1/Filter.js';
import type { BatchOperation__Output } from '../generated/raftvec/v1/BatchOperation.js';
import type { UpdateBatchRequest__Output } from '../generated/raftvec/v1/UpdateBatchRequest.js';
import type { UpdateBatchResponse } from '../generated/raftvec/v1/UpdateBatchResponse.js';
import type { WriteResponse } from '../generated/raftvec/v1/WriteResponse.js';
import type { WriteStreamRequest__Output } from '../generated/raftvec/v1/WriteStreamRequest.js';
import type { WriteStreamResponse } from '../generated/raftvec/v1/WriteStreamResponse.js';
import type { WritePath, WriteConcern } from './write-path.js';
import { GRPC_STATUS_BY_CODE, stderrLogger, toServiceError, type Logger } from './status.js';

/** The reads the service needs from the state machine (VectorStateMachine). */
export interface VectorReader {
  listCollections(): CollectionInfo[];
  /** Throws RaftvecError NOT_FOUND. */
  describeCollection(name: string): CollectionInfo;
  get(
    collection: string,
    ids: string[],
    opts: { withVector: boolean } & MetadataSelection,
  ): Promise<StoredPoint[]>;
  search(q: SearchQuery): Promise<SearchHit[][]>;
  count(collection: string, filter?: Filter): Promise<number>;
  scroll(q: ScrollQuery): Promise<ScrollPage>;
}

export interface VectorServiceOptions {
  /** Deadline for a write whose call has none. Default 30 s. */
  defaultWriteTimeoutMs?: number;
  /** Page size for Scroll when `limit` is 0. Default 100. */
  defaultScrollLimit?: number;
  /** Upsert payload bytes handled at once (default limits.maxInFlightWriteBytes). */
  maxInFlightWriteBytes?: number;
  /**
   * Awaited before every read with its consistency level (a Raft node's RaftReadPath);
   * default: a lone local state, every level served at once.
   */
  readPath?: ReadPath;
  log?: Logger;
}

export const DEFAULT_INDEX_SPEC = 'Flat';
export const MAX_CLIENT_ID_LENGTH = 256;

/** Turns a failed apply into the error the client gets. */
export function applyResultError(result: ApplyResult): RaftvecError | undefined {
  return result.ok ? undefined : new RaftvecError(result.code, result.message);
}

function sessionFromProto(options: WriteOptions__Output | null): ClientSession | undefined {
  if (!options || options.clientId === '') return undefined;
  const { clientId, sequence } = options;
  if (clientId.length > MAX_CLIENT_ID_LENGTH)
    throw invalidArgument(
      `client_id is ${clientId.length} characters; at most ${MAX_CLIENT_ID_LENGTH} are allowed`,
    );
  if (!Number.isSafeInteger(sequence) || sequence < 1)
    throw invalidArgument(
      `sequence must be an integer from 1 to ${Number.MAX_SAFE_INTEGER} when client_id is set, got ${sequence}`,
    );
  return { clientId, sequence };
}

function collectionInfoToProto(info: CollectionInfo): ProtoCollectionInfo {
  return {
    name: info.name,
    dimension: info.dimension,
    metric: metricToProto(info.metric),
    indexSpec: info.indexSpec,
    pointCount: info.pointCount,
    efSearch: info.efSearch ?? 0,
    payloadIndexes: info.payloadIndexes.map((p) => ({
      key: p.key,
      type: payloadIndexTypeToProto(p.type),
    })),
  };
}

/** The points a write by ids or by filter applies to (exactly one of the two). */
function pointSelectorFromProto(req: {
  ids: string[];
  filter: Filter__Output | null;
}): PointSelector {
  const filter = filterFromProto(req.filter);
  if (filter !== undefined && req.ids.length > 0)
    throw invalidArgument('give ids or a filter, not both');
  if (filter === undefined && req.ids.length === 0) {
    throw invalidArgument(
      req.filter
        ? 'the filter has no condition, and would select every point; give a filter with conditions, or ids (to remove every point, drop the collection)'
        : 'ids: give at least one point id, or a filter that selects the points',
    );
  }
  const points: PointSelector = filter !== undefined ? { filter } : { ids: req.ids };
  validatePointSelector(points);
  return points;
}

/** Which metadata a read returns: `metadata_keys`, if any, imply with_metadata. */
function metadataSelection(req: {
  withMetadata: boolean;
  metadataKeys: string[];
}): MetadataSelection {
  validateMetadataKeys(req.metadataKeys);
  return req.metadataKeys.length > 0
    ? { withMetadata: true, metadataKeys: req.metadataKeys }
    : { withMetadata: req.withMetadata };
}

function storedPointToProto(p: StoredPoint): ProtoPoint {
  return {
    id: p.id,
    vector: p.vector ? Array.from(p.vector) : [],
    metadata: p.metadata ? metadataToStruct(p.metadata) : null,
  };
}

/** Query `i` of a search, from either of its wire forms (floats or float32 bytes); empty for a query by point id. */
function queryVector(q: QueryVector__Output, i: number): Float32Array {
  const bytes = q.valuesF32.byteLength;
  if (q.pointId !== '') {
    if (bytes > 0 || q.values.length > 0)
      throw invalidArgument(`query ${i}: give a vector or a point id to search by, not both`);
    return new Float32Array(0);
  }
  if (bytes > 0 && q.values.length > 0)
    throw invalidArgument(
      `query ${i}: both values and values_f32 are set; send the query once, in one of them`,
    );
  if (bytes % 4 !== 0)
    throw invalidArgument(
      `query ${i}: values_f32 has ${bytes} bytes, not a whole number of float32 values (4 bytes each)`,
    );
  return wireVector({ vector: q.values, vectorF32: q.valuesF32 });
}

function hitToProto(h: SearchHit): ScoredPoint {
  return {
    id: h.id,
    score: h.score,
    vector: h.vector ? Array.from(h.vector) : [],
    metadata: h.metadata ? metadataToStruct(h.metadata) : null,
  };
}

/**
 * Estimated bytes of a point in a response (see limits.maxResponseBytes): the
 * id, score and framing, 4 bytes per vector component, metadata as JSON.
 */
function responsePointBytes(p: StoredPoint): number {
  let bytes = p.id.length + RESPONSE_POINT_OVERHEAD_BYTES;
  if (p.vector) bytes += responseVectorBytes(p.vector.length);
  if (p.metadata) bytes += JSON.stringify(p.metadata).length;
  return bytes;
}

/** Writes of one WriteStream handled at once (each holds its request until answered). */
export const MAX_STREAM_WRITES_IN_FLIGHT = 1024;

/**
 * The wait suggested (retry-after-ms) to a write refused because the node holds too
 * many bytes of upserts, or a stream too many writes: answers free room within a
 * commit or two.
 */
const IN_FLIGHT_RETRY_AFTER_MS = 50;

/** Points converted between two yields to the event loop while a response is built. */
const RESPONSE_CHUNK_POINTS = 256;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Builds the points of one response as protobuf objects in chunks, yielding to
 * the event loop between chunks (so heartbeats and other calls are served while
 * a large response is built), and stops at the first point that would take
 * the estimated size past limits.maxResponseBytes.
 */
class BoundedResponse {
  /** Estimated bytes so far. */
  bytes = 0;
  #sinceYield = 0;

  /**
   * Converts `points` into `out`; returns how many fit (all of them, or the
   * count before the first that did not: nothing more should be added then).
   */
  async add<P extends StoredPoint, R>(
    points: readonly P[],
    convert: (p: P) => R,
    out: R[],
  ): Promise<number> {
    for (let i = 0; i < points.length; i++) {
      if (++this.#sinceYield >= RESPONSE_CHUNK_POINTS) {
        this.#sinceYield = 0;
        await yieldToEventLoop();
      }
      const p = points[i]!;
      const bytes = responsePointBytes(p);
      if (this.bytes + bytes > limits.maxResponseBytes) {
        this.bytes += bytes;
        return i;
      }
      this.bytes += bytes;
      out.push(convert(p));
    }
    return points.length;
  }

  /** RESOURCE_EXHAUSTED for a response that did not fit. */
  tooLarge(what: string, advice: string): RaftvecError {
    return new RaftvecError(
      'RESOURCE_EXHAUSTED',
      `the ${what} response would exceed ${limits.maxResponseBytes} bytes (${this.bytes} bytes of ids, vectors and metadata so far): ${advice}`,
    );
  }
}

/** The end of a RESOURCE_EXHAUSTED advice: what the caller could leave out. */
function leaveOut(req: { withVector: boolean; withMetadata: boolean }): string {
  const parts = [req.withVector && 'vectors', req.withMetadata && 'metadata'].filter(Boolean);
  return parts.length === 0 ? '' : `, or leave ${parts.join(' or ')} out`;
}

const idForMessage = (id: string): string =>
  id.length > 64
    ? `${JSON.stringify(id.slice(0, 64))}... (${id.length} characters)`
    : JSON.stringify(id);

const NO_OPERATION =
  'no operation is set: give one of upsert, delete, set_payload, overwrite_payload or delete_payload_keys';

/**
 * One operation of an UpdateBatch, converted and checked as its own call would be
 * (Upsert, Delete, SetPayload, OverwritePayload, DeletePayloadKeys); run it through
 * {@link inOperation}, which names the operation in errors. Upsert vectors must have
 * passed the wire checks of #updateBatch first.
 */
function batchOperationFromProto(op: BatchOperation__Output, info: CollectionInfo): BatchOperation {
  const noPoints = { ids: [], filter: null };
  switch (op.operation) {
    case 'upsert': {
      const points: Point[] = (op.upsert?.points ?? []).map((p, j) => ({
        id: p.id,
        vector: wireVector(p),
        metadata: structToMetadata(p.metadata, `metadata of point ${j} (id ${idForMessage(p.id)})`),
      }));
      validatePoints(info.dimension, points, info.metric);
      return { kind: 'upsert', points };
    }
    case 'delete': {
      const points = pointSelectorFromProto(op.delete ?? noPoints);
      return 'filter' in points
        ? { kind: 'deleteByFilter', filter: points.filter }
        : { kind: 'delete', ids: points.ids };
    }
    case 'setPayload':
    case 'overwritePayload': {
      const set = (op.operation === 'setPayload' ? op.setPayload : op.overwritePayload) ?? {
        ...noPoints,
        payload: null,
      };
      const points = pointSelectorFromProto(set);
      const update: PayloadUpdate = {
        op: op.operation === 'setPayload' ? 'set' : 'overwrite',
        payload: structToMetadata(set.payload, 'payload'),
      };
      validatePayloadUpdate(update);
      return { kind: 'updatePayload', points, update };
    }
    case 'deletePayloadKeys': {
      const del = op.deletePayloadKeys ?? { ...noPoints, keys: [] };
      const points = pointSelectorFromProto(del);
      const update: PayloadUpdate = { op: 'deleteKeys', keys: del.keys };
      validatePayloadUpdate(update);
      return { kind: 'updatePayload', points, update };
    }
    default:
      throw invalidArgument(NO_OPERATION);
  }
}

/** A request whose bytes did not decode (see tolerantDeserializers). */
export class MalformedRequest {
  constructor(
    readonly method: string,
    readonly reason: string,
  ) {}
}

type Unary<Req, Res> = (
  call: grpc.ServerUnaryCall<Req, Res>,
  callback: grpc.sendUnaryData<Res>,
) => void;

export class VectorService {
  readonly #reader: VectorReader;
  readonly #writes: WritePath;
  readonly #log: Logger;
  readonly #defaultWriteTimeoutMs: number;
  readonly #defaultScrollLimit: number;
  readonly #readPath: ReadPath;
  #inFlight = 0;
  /** Upsert payload bytes between decoding and the end of the write (see #reserveWrite). */
  #inFlightWriteBytes = 0;
  readonly #maxInFlightWriteBytes: number;
  readonly #idleWaiters: (() => void)[] = [];
  /** Each open WriteStream's stop (see drain). */
  readonly #writeStreams = new Set<() => void>();

  constructor(reader: VectorReader, writes: WritePath, options: VectorServiceOptions = {}) {
    this.#reader = reader;
    this.#writes = writes;
    this.#log = options.log ?? stderrLogger;
    this.#defaultWriteTimeoutMs = options.defaultWriteTimeoutMs ?? 30_000;
    this.#defaultScrollLimit = options.defaultScrollLimit ?? 100;
    this.#readPath = options.readPath ?? localReadPath('local', () => 0);
    this.#maxInFlightWriteBytes = options.maxInFlightWriteBytes ?? limits.maxInFlightWriteBytes;
  }

  /**
   * A read handler: waits on the read path first, for the request's consistency level
   * (LINEARIZABLE by default: on a Raft node, the leader confirms its leadership and
   * applies everything committed before the read), and answers with its ReadInfo.
   */
  #read<Req extends { readOptions?: ReadOptions__Output | null }, Res>(
    method: string,
    fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
  ): Unary<Req, Res & { readInfo: ProtoReadInfo }> {
    return this.#unary(method, async (req: Req, call) => {
      const requirement = readRequirementFromProto(req.readOptions);
      const info = await this.#readPath.prepare(requirement, this.#deadline(call));
      const res = await fn(req, call as grpc.ServerUnaryCall<Req, Res>);
      // Apply may have gone on while the read ran: the data can be newer than the index
      // the read path saw. The index after the read bounds it from above, which is what a
      // session token needs (the next read must be at least this fresh).
      const appliedIndex = Math.max(info.appliedIndex, this.#readPath.appliedIndex());
      return { ...res, readInfo: readInfoToProto({ ...info, appliedIndex }) };
    });
  }

  /** A linearizable read of the collection list (no read options on these calls). */
  #linearizable<Req, Res>(
    method: string,
    fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
  ): Unary<Req, Res> {
    return this.#unary(method, async (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => {
      await this.#readPath.prepare({ consistency: 'linearizable' }, this.#deadline(call));
      return fn(req, call);
    });
  }

  /** Wraps an async handler: any throw becomes a gRPC status; nothing escapes. */
  #unary<Req, Res>(
    method: string,
    fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
  ): Unary<Req, Res> {
    return (call, callback) => {
      let p: Promise<Res>;
      try {
        const req: unknown = call.request;
        if (req instanceof MalformedRequest)
          throw invalidArgument(
            `the ${method} request is not a valid protobuf message: ${req.reason}`,
          );
        p = fn(call.request, call);
      } catch (err) {
        p = Promise.reject(err);
      }
      void this.#track(
        p.then(
          (res) => callback(null, res),
          (err: unknown) => callback(toServiceError(err, method, this.#log)),
        ),
      );
    };
  }

  /** Counts `work` as a call being handled (see drain) until it settles. */
  async #track(work: Promise<void>): Promise<void> {
    this.#inFlight++;
    try {
      await work;
    } finally {
      if (--this.#inFlight === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  #deadline(call: grpc.ServerUnaryCall<unknown, unknown>): Date {
    const d = call.getDeadline();
    return this.#deadlineAt(d instanceof Date ? d.getTime() : d);
  }

  /** When to give up on a call whose caller gives up at `ms` (epoch ms; Infinity: never). */
  #deadlineAt(ms: number): Date {
    const now = Date.now();
    const fallback = now + this.#defaultWriteTimeoutMs;
    if (!Number.isFinite(ms)) return new Date(fallback);
    // Give up a little before the caller does, so that it gets our explanation of the
    // write's fate rather than a bare client-side DEADLINE_EXCEEDED.
    const margin = Math.min(250, Math.max(0, (ms - now) / 10));
    return new Date(Math.min(ms - margin, fallback));
  }

  async #propose(
    command: Command,
    options: { writeConcern: WriteConcern; deadline: Date },
  ): Promise<{ result: ApplyResult & { ok: true }; logIndex: number }> {
    const { result, logIndex } = await this.#writes.propose(command, options);
    if (!result.ok) throw new RaftvecError(result.code, result.message);
    return { result, logIndex };
  }

  /**
   * The collection a write goes to, as the leader knows it. A leader elected moments ago
   * may not yet have applied entries of earlier terms (such as the collection's
   * creation): before answering NOT_FOUND it catches up through the read barrier.
   */
  async #collectionForWrite(name: string, deadline: Date): Promise<CollectionInfo> {
    // Before the request is converted and checked: an overloaded leader refuses cheaply.
    this.#writes.ensureWritable(deadline);
    try {
      return this.#collection(name);
    } catch (err) {
      if (!(err instanceof RaftvecError && err.code === 'NOT_FOUND')) throw err;
      await this.#readPath.prepare({ consistency: 'linearizable' }, deadline);
      return this.#collection(name);
    }
  }

  /**
   * Counts `bytes` of a write's payload against maxInFlightWriteBytes until
   * the returned release is called; RESOURCE_EXHAUSTED when the node already holds
   * that much (one write is always let through, so any size can make progress).
   */
  #reserveWrite(bytes: number): () => void {
    const held = this.#inFlightWriteBytes;
    if (held > 0 && held + bytes > this.#maxInFlightWriteBytes) {
      throw overloaded(
        `this node is already handling ${held} bytes of upserts (the limit is ${this.#maxInFlightWriteBytes}); this one (${bytes} bytes) was not accepted: retry with backoff`,
        IN_FLIGHT_RETRY_AFTER_MS,
        { notProposed: true },
      );
    }
    this.#inFlightWriteBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlightWriteBytes -= bytes;
    };
  }

  async #upsert(req: UpsertRequest__Output, deadline: Date): Promise<WriteResponse> {
    const arrived = commitTraceOn ? commitTraceNow() : 0;
    const info = await this.#collectionForWrite(req.collection, deadline);
    const session = sessionFromProto(req.options);
    const writeConcern = writeConcernFromProto(req.options?.writeConcern);
    // Shape first, on the decoded arrays: a batch with too many points or a
    // wrong dimension is refused before anything is copied or converted.
    validatePointCount(req.points.length);
    let payloadBytes = 0;
    req.points.forEach((p, i) => {
      const where = `point ${i} (id ${idForMessage(p.id)})`;
      const length = wireVectorLength(p, where);
      validateVectorLength(info.dimension, length, where);
      payloadBytes += 4 * length + p.id.length; // as float32, as stored
    });
    const release = this.#reserveWrite(payloadBytes);
    try {
      const points: Point[] = req.points.map((p, i) => ({
        id: p.id,
        vector: wireVector(p),
        metadata: structToMetadata(p.metadata, `metadata of point ${i} (id ${idForMessage(p.id)})`),
      }));
      validatePoints(info.dimension, points, info.metric);
      const { result, logIndex } = await this.#propose(
        { kind: 'upsert', collection: req.collection, points, ...(session && { session }) },
        { writeConcern, deadline },
      );
      commitTrace('serviceIn', logIndex, arrived);
      commitTrace('serviceOut', logIndex);
      return { upserted: result.upserted ?? 0, deleted: 0, updated: 0, logIndex };
    } finally {
      release();
    }
  }

  async #delete(req: DeleteRequest__Output, deadline: Date): Promise<WriteResponse> {
    await this.#collectionForWrite(req.collection, deadline);
    const session = sessionFromProto(req.options);
    const writeConcern = writeConcernFromProto(req.options?.writeConcern);
    const points = pointSelectorFromProto(req);
    const command: Command =
      'filter' in points
        ? { kind: 'deleteByFilter', collection: req.collection, filter: points.filter }
        : { kind: 'delete', collection: req.collection, ids: points.ids };
    const { result, logIndex } = await this.#propose(
      { ...command, ...(session && { session }) },
      { writeConcern, deadline },
    );
    return { upserted: 0, deleted: result.deleted ?? 0, updated: 0, logIndex };
  }

  /** SetPayload, OverwritePayload and DeletePayloadKeys. */
  async #updatePayload(
    req: SetPayloadRequest__Output | DeletePayloadKeysRequest__Output,
    update: PayloadUpdate,
    deadline: Date,
  ): Promise<WriteResponse> {
    await this.#collectionForWrite(req.collection, deadline);
    const session = sessionFromProto(req.options);
    const writeConcern = writeConcernFromProto(req.options?.writeConcern);
    const points = pointSelectorFromProto(req);
    validatePayloadUpdate(update);
    const { result, logIndex } = await this.#propose(
      {
        kind: 'updatePayload',
        collection: req.collection,
        points,
        update,
        ...(session && { session }),
      },
      { writeConcern, deadline },
    );
    return { upserted: 0, deleted: 0, updated: result.updated ?? 0, logIndex };
  }

  /**
   * UpdateBatch: several writes to one collection in one command, applied in order,
   * each seeing the ones before, all of them or none. Each operation is checked as its
   * own call would be, and an error names it (`operation 2: ...`); the upserted
   * points of the whole batch count against the in-flight write bytes together.
   */
  async #updateBatch(
    req: UpdateBatchRequest__Output,
    deadline: Date,
  ): Promise<UpdateBatchResponse> {
    const info = await this.#collectionForWrite(req.collection, deadline);
    const session = sessionFromProto(req.options);
    const writeConcern = writeConcernFromProto(req.options?.writeConcern);
    // Shape first, on the decoded arrays (as #upsert): an empty operation, an upsert
    // with too many points or a wrong dimension is refused before anything is copied.
    let payloadBytes = 0;
    req.operations.forEach((op, i) =>
      inOperation(i, () => {
        if (op.operation === undefined) throw invalidArgument(NO_OPERATION);
        if (op.operation !== 'upsert') return;
        const points = op.upsert?.points ?? [];
        validatePointCount(points.length);
        points.forEach((p, j) => {
          const where = `point ${j} (id ${idForMessage(p.id)})`;
          const length = wireVectorLength(p, where);
          validateVectorLength(info.dimension, length, where);
          payloadBytes += 4 * length + p.id.length; // as float32, as stored
        });
      }),
    );
    // A batch without upserts holds no vectors: like a Delete, it reserves nothing.
    const release = payloadBytes > 0 ? this.#reserveWrite(payloadBytes) : () => undefined;
    try {
      const operations = req.operations.map((op, i) =>
        inOperation(i, () => batchOperationFromProto(op, info)),
      );
      validateBatchShape(operations);
      const { result, logIndex } = await this.#propose(
        {
          kind: 'batch',
          collection: req.collection,
          operations,
          ...(session && { session }),
        },
        { writeConcern, deadline },
      );
      return {
        results: (result.results ?? []).map((r) => ({
          upserted: r.upserted ?? 0,
          deleted: r.deleted ?? 0,
          updated: r.updated ?? 0,
          logIndex: 0,
        })),
        logIndex,
      };
    } finally {
      release();
    }
  }

  /**
   * WriteStream: each request is an Upsert or a Delete, handled exactly as the unary
   * call would be, answered with its id when it finishes (in any order). At most
   * MAX_STREAM_WRITES_IN_FLIGHT of one stream are handled at once; the stream ends
   * once the client has ended its side and every write is answered.
   */
  #writeStream(
    call: grpc.ServerDuplexStream<WriteStreamRequest__Output, WriteStreamResponse>,
  ): void {
    let inFlight = 0;
    let clientDone = false;
    /** The node is stopping (drain): new writes are turned away, the stream ends when idle. */
    let serverDone = false;
    let closed = false;
    // A client that sends without reading its answers is not read from either until
    // they drain: the answers waiting in memory stay bounded.
    const answer = (response: WriteStreamResponse): void => {
      if (!closed && !call.write(response)) call.pause();
    };
    call.on('drain', () => call.resume());
    const endIfDone = (): void => {
      if ((clientDone || serverDone) && inFlight === 0 && !closed) {
        closed = true;
        this.#writeStreams.delete(stop);
        call.end();
      }
    };
    const stop = (): void => {
      serverDone = true;
      endIfDone();
    };
    this.#writeStreams.add(stop);
    call.on('data', (req: WriteStreamRequest__Output | MalformedRequest) => {
      if (closed) return;
      if (req instanceof MalformedRequest) {
        // Without a request id there is nothing to answer: the stream ends.
        closed = true;
        call.emit('error', {
          code: GRPC_STATUS_BY_CODE.INVALID_ARGUMENT,
          details: `a WriteStream request is not a valid protobuf message: ${req.reason}`,
        });
        return;
      }
      const requestId = req.requestId;
      const fail = (err: unknown): void => {
        const status = toServiceError(err, 'WriteStream', this.#log);
        const details: Record<string, string> = {};
        // As the client reads a unary call's trailers: binary values under their plain key.
        for (const [key, value] of Object.entries(status.metadata?.getMap() ?? {}))
          details[key.endsWith('-bin') ? key.slice(0, -4) : key] =
            typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
        answer({
          requestId,
          error: { code: status.code ?? 0, message: status.details ?? '', details },
        });
      };
      if (serverDone) {
        fail(
          new RaftvecError(
            'UNAVAILABLE',
            'this node is shutting down; the write was not accepted: send it to another member',
          ),
        );
        return;
      }
      if (inFlight >= MAX_STREAM_WRITES_IN_FLIGHT) {
        fail(
          overloaded(
            `this stream already has ${inFlight} writes in flight (the limit is ${MAX_STREAM_WRITES_IN_FLIGHT}); wait for answers before sending more`,
            IN_FLIGHT_RETRY_AFTER_MS,
            { notProposed: true },
          ),
        );
        return;
      }
      const deadline = this.#deadlineAt(
        req.timeoutMs > 0 ? Date.now() + req.timeoutMs : Number.POSITIVE_INFINITY,
      );
      let write: Promise<WriteResponse>;
      if (req.write === 'upsert' && req.upsert) write = this.#upsert(req.upsert, deadline);
      else if (req.write === 'delete' && req.delete) write = this.#delete(req.delete, deadline);
      else
        write = Promise.reject(
          invalidArgument('a WriteStream request holds an upsert or a delete'),
        );
      inFlight++;
      void this.#track(
        write
          .then((ok) => answer({ requestId, ok }), fail)
          .finally(() => {
            inFlight--;
            endIfDone();
          }),
      );
    });
    call.on('end', () => {
      clientDone = true;
      endIfDone();
    });
    const abandon = (): void => {
      closed = true;
      this.#writeStreams.delete(stop);
    };
    call.on('cancelled', abandon);
    call.on('error', abandon);
  }

  #collection(name: string): CollectionInfo {
    validateCollectionName(name);
    return this.#reader.describeCollection(name);
  }

  /**
   * Resolves once no call is being handled, or after `timeoutMs`; true if drained.
   * Open write streams take no new writes from now on, and end once their writes are
   * answered (a stream left open would hold the server's shutdown for its grace time).
   */
  drain(timeoutMs: number): Promise<boolean> {
    for (const stop of [...this.#writeStreams]) stop();
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  handlers(): VectorServiceHandlers {
    return {
      CreateCollection: this.#unary('CreateCollection', async (req, call) => {
        const spec = {
          name: req.name,
          dimension: req.dimension,
          metric: metricFromProto(req.metric),
          indexSpec: req.indexSpec === '' ? DEFAULT_INDEX_SPEC : req.indexSpec,
          ...(req.efSearch > 0 && { efSearch: req.efSearch }),
        };
        validateCollectionSpec(spec);
        const session = sessionFromProto(req.options);
        const writeConcern = writeConcernFromProto(req.options?.writeConcern);
        this.#writes.ensureWritable();
        if (!session && this.#exists(spec.name))
          throw new RaftvecError('ALREADY_EXISTS', `collection "${spec.name}" already exists`);
        const { logIndex } = await this.#propose(
          { kind: 'createCollection', spec, ...(session && { session }) },
          { writeConcern, deadline: this.#deadline(call) },
        );
        let info: CollectionInfo;
        try {
          info = this.#reader.describeCollection(spec.name);
        } catch {
          info = { ...spec, pointCount: 0, payloadIndexes: [] }; // dropped again meanwhile
        }
        return { collection: collectionInfoToProto(info), logIndex };
      }),

      DropCollection: this.#unary('DropCollection', async (req, call) => {
        validateCollectionName(req.name);
        const session = sessionFromProto(req.options);
        const writeConcern = writeConcernFromProto(req.options?.writeConcern);
        // a retried drop (same session) must reach the log to be deduplicated there
        if (!session) await this.#collectionForWrite(req.name, this.#deadline(call));
        const { logIndex } = await this.#propose(
          { kind: 'dropCollection', name: req.name, ...(session && { session }) },
          { writeConcern, deadline: this.#deadline(call) },
        );
        return { logIndex };
      }),

      ListCollections: this.#linearizable('ListCollections', async () => ({
        collections: this.#reader.listCollections().map(collectionInfoToProto),
      })),

      DescribeCollection: this.#linearizable('DescribeCollection', async (req) =>
        collectionInfoToProto(this.#collection(req.name)),
      ),

      Upsert: this.#unary('Upsert', (req, call) => this.#upsert(req, this.#deadline(call))),

      Delete: this.#unary('Delete', (req, call) => this.#delete(req, this.#deadline(call))),

      SetPayload: this.#unary('SetPayload', (req, call) =>
        this.#updatePayload(
          req,
          { op: 'set', payload: structToMetadata(req.payload, 'payload') },
          this.#deadline(call),
        ),
      ),

      OverwritePayload: this.#unary('OverwritePayload', (req, call) =>
        this.#updatePayload(
          req,
          { op: 'overwrite', payload: structToMetadata(req.payload, 'payload') },
          this.#deadline(call),
        ),
      ),

      DeletePayloadKeys: this.#unary('DeletePayloadKeys', (req, call) =>
        this.#updatePayload(req, { op: 'deleteKeys', keys: req.keys }, this.#deadline(call)),
      ),

      UpdateBatch: this.#unary('UpdateBatch', (req, call) =>
        this.#updateBatch(req, this.#deadline(call)),
      ),

      CreatePayloadIndex: this.#unary('CreatePayloadIndex', async (req, call) => {
        const deadline = this.#deadline(call);
        const index = { key: req.key, type: payloadIndexTypeFromProto(req.type) };
        validatePayloadIndexSpec(index);
        await this.#collectionForWrite(req.collection, deadline);
        const session = sessionFromProto(req.options);
        const { logIndex } = await this.#propose(
          {
            kind: 'createPayloadIndex',
            collection: req.collection,
            index,
            ...(session && { session }),
          },
          { writeConcern: writeConcernFromProto(req.options?.writeConcern), deadline },
        );
        return { upserted: 0, deleted: 0, updated: 0, logIndex };
      }),

      DropPayloadIndex: this.#unary('DropPayloadIndex', async (req, call) => {
        const deadline = this.#deadline(call);
        validatePayloadIndexSpec({ key: req.key, type: 'keyword' });
        await this.#collectionForWrite(req.collection, deadline);
        const session = sessionFromProto(req.options);
        const { logIndex } = await this.#propose(
          {
            kind: 'dropPayloadIndex',
            collection: req.collection,
            key: req.key,
            ...(session && { session }),
          },
          { writeConcern: writeConcernFromProto(req.options?.writeConcern), deadline },
        );
        return { upserted: 0, deleted: 0, updated: 0, logIndex };
      }),

      WriteStream: (call) => this.#writeStream(call),

      Get: this.#read('Get', async (req) => {
        const info = this.#collection(req.collection);
        validateIds(req.ids);
        if (req.withVector) {
          validateVectorResponse(
            req.ids.length,
            info.dimension,
            `get (${req.ids.length} ids, with vectors)`,
            'ask for fewer ids per request, or leave vectors out',
          );
        }
        const points = await this.#reader.get(req.collection, req.ids, {
          withVector: req.withVector,
          ...metadataSelection(req),
        });
        const response = new BoundedResponse();
        const out: ProtoPoint[] = [];
        if ((await response.add(points, storedPointToProto, out)) < points.length)
          throw response.tooLarge('get', `ask for fewer ids per request${leaveOut(req)}`);
        return { points: out };
      }),

      Search: this.#read('Search', async (req) => {
        const info = this.#collection(req.collection);
        const filter = filterFromProto(req.filter);
        const targets = req.queries.map((q): SearchTarget => {
          const own = filterFromProto(q.filter);
          return {
            ...(q.pointId !== '' && { pointId: q.pointId }),
            ...(own && { filter: own }),
            ...(q.k > 0 && { k: q.k }),
          };
        });
        const query: SearchQuery = {
          collection: req.collection,
          vectors: req.queries.map((q, i) => queryVector(q, i)),
          k:
            req.k === 0 && targets.length > 0 && targets.every((t) => t.k !== undefined)
              ? targets[0]!.k!
              : req.k,
          withVector: req.withVector,
          ...metadataSelection(req),
          ...(targets.some((t) => Object.keys(t).length > 0) && { targets }),
          ...(filter && { filter }),
          ...(req.efSearch > 0 && { efSearch: req.efSearch }),
          ...(req.nprobe > 0 && { nprobe: req.nprobe }),
          ...(req.scoreThreshold !== undefined &&
            req._scoreThreshold === 'scoreThreshold' && { scoreThreshold: req.scoreThreshold }),
        };
        validateSearch(info.dimension, query, info.metric);
        const results = await this.#reader.search(query);
        const response = new BoundedResponse();
        const out: Array<{ hits: ScoredPoint[] }> = [];
        for (const hits of results) {
          const row: ScoredPoint[] = [];
          if ((await response.add(hits, hitToProto, row)) < hits.length) {
            throw response.tooLarge(
              'search',
              `lower k, send fewer queries per request${leaveOut(req)}`,
            );
          }
          out.push({ hits: row });
        }
        return { results: out };
      }),

      Count: this.#read('Count', async (req) => {
        this.#collection(req.collection);
        const filter = filterFromProto(req.filter);
        if (filter) validateFilter(filter);
        return { count: await this.#reader.count(req.collection, filter) };
      }),

      Scroll: this.#read('Scroll', async (req) => {
        const info = this.#collection(req.collection);
        const filter = filterFromProto(req.filter);
        let limit = req.limit === 0 ? this.#defaultScrollLimit : req.limit;
        // A page with vectors holds at most what fits in one response; a scroll
        // may return fewer points than `limit` (the next page starts after the last).
        if (req.withVector && limit <= limits.maxScrollLimit) {
          const perPoint = responseVectorBytes(info.dimension) + RESPONSE_POINT_OVERHEAD_BYTES;
          limit = Math.max(1, Math.min(limit, Math.floor(limits.maxResponseBytes / perPoint)));
        }
        const query: ScrollQuery = {
          collection: req.collection,
          limit,
          withVector: req.withVector,
          ...metadataSelection(req),
          ...(req.afterId !== '' && { afterId: req.afterId }),
          ...(filter && { filter }),
        };
        validateScroll(query);
        const page = await this.#reader.scroll(query);
        const out: ProtoPoint[] = [];
        const sent = await new BoundedResponse().add(page.points, storedPointToProto, out);
        if (sent === page.points.length)
          return { points: out, nextAfterId: page.nextAfterId ?? '' };
        // Metadata made the page too large: cut it short, and the next page starts
        // after the last point sent. One point always fits (its vector and
        // metadata are far below the limit), so a scroll always progresses.
        if (sent === 0) out.push(storedPointToProto(page.points[0]!));
        return { points: out, nextAfterId: page.points[Math.max(sent, 1) - 1]!.id };
      }),
    };
  }

  #exists(name: string): boolean {
    try {
      this.#reader.describeCollection(name);
      return true;
    } catch (err) {
      if (err instanceof RaftvecError && err.code === 'NOT_FOUND') return false;
      throw err;
    }
  }
}
