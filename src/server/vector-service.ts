/**
 * raftvec.v1.VectorService: proto <-> domain conversion, validation before
 * proposing (bad input never enters the log), writes through a WritePath, reads
 * from the state machine, and every error mapped to its gRPC status.
 */
import type * as grpc from '@grpc/grpc-js';
import type {
  ApplyResult,
  ClientSession,
  CollectionInfo,
  Command,
  Filter,
  Point,
  ScrollPage,
  ScrollQuery,
  SearchHit,
  SearchQuery,
  StoredPoint,
} from '../domain.js';
import { RaftvecError, invalidArgument } from '../errors.js';
import {
  validateCollectionName,
  validateCollectionSpec,
  validateFilter,
  validateIds,
  validatePoints,
  validateScroll,
  validateSearch,
} from '../validation.js';
import {
  filterFromProto,
  metadataToStruct,
  metricFromProto,
  metricToProto,
  structToMetadata,
  writeConcernFromProto,
} from '../client/wire.js';
import type { VectorServiceHandlers } from '../generated/raftvec/v1/VectorService.js';
import type { CollectionInfo as ProtoCollectionInfo } from '../generated/raftvec/v1/CollectionInfo.js';
import type { Point as ProtoPoint } from '../generated/raftvec/v1/Point.js';
import type { ScoredPoint } from '../generated/raftvec/v1/ScoredPoint.js';
import type { WriteOptions__Output } from '../generated/raftvec/v1/WriteOptions.js';
import type { WritePath, WriteConcern } from './write-path.js';
import { stderrLogger, toServiceError, type Logger } from './status.js';

/** The reads the service needs from the state machine (VectorStateMachine). */
export interface VectorReader {
  listCollections(): CollectionInfo[];
  /** Throws RaftvecError NOT_FOUND. */
  describeCollection(name: string): CollectionInfo;
  get(
    collection: string,
    ids: string[],
    opts: { withVector: boolean; withMetadata: boolean },
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
  /** Awaited before every read; Raft nodes pass ReadIndex here (linearizable reads). */
  readBarrier?: (deadline: Date) => Promise<void>;
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
  };
}

function storedPointToProto(p: StoredPoint): ProtoPoint {
  return {
    id: p.id,
    vector: p.vector ? Array.from(p.vector) : [],
    metadata: p.metadata ? metadataToStruct(p.metadata) : null,
  };
}

function hitToProto(h: SearchHit): ScoredPoint {
  return {
    id: h.id,
    score: h.score,
    vector: h.vector ? Array.from(h.vector) : [],
    metadata: h.metadata ? metadataToStruct(h.metadata) : null,
  };
}

const idForMessage = (id: string): string =>
  id.length > 64
    ? `${JSON.stringify(id.slice(0, 64))}... (${id.length} characters)`
    : JSON.stringify(id);

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
  readonly #readBarrier: (deadline: Date) => Promise<void>;
  #inFlight = 0;
  readonly #idleWaiters: (() => void)[] = [];

  constructor(reader: VectorReader, writes: WritePath, options: VectorServiceOptions = {}) {
    this.#reader = reader;
    this.#writes = writes;
    this.#log = options.log ?? stderrLogger;
    this.#defaultWriteTimeoutMs = options.defaultWriteTimeoutMs ?? 30_000;
    this.#defaultScrollLimit = options.defaultScrollLimit ?? 100;
    this.#readBarrier = options.readBarrier ?? (() => Promise.resolve());
  }

  /**
   * A read handler: waits for the read barrier first (on a Raft node, the leader
   * confirms its leadership and applies everything committed before the read).
   */
  #read<Req, Res>(
    method: string,
    fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
  ): Unary<Req, Res> {
    return this.#unary(method, async (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => {
      await this.#readBarrier(this.#deadline(call));
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
      this.#inFlight++;
      p.then(
        (res) => callback(null, res),
        (err: unknown) => callback(toServiceError(err, method, this.#log)),
      ).finally(() => {
        if (--this.#inFlight === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      });
    };
  }

  #deadline(call: grpc.ServerUnaryCall<unknown, unknown>): Date {
    const d = call.getDeadline();
    const ms = d instanceof Date ? d.getTime() : d;
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
  async #collectionForWrite(
    name: string,
    call: grpc.ServerUnaryCall<unknown, unknown>,
  ): Promise<CollectionInfo> {
    this.#writes.ensureWritable();
    try {
      return this.#collection(name);
    } catch (err) {
      if (!(err instanceof RaftvecError && err.code === 'NOT_FOUND')) throw err;
      await this.#readBarrier(this.#deadline(call));
      return this.#collection(name);
    }
  }

  #collection(name: string): CollectionInfo {
    validateCollectionName(name);
    return this.#reader.describeCollection(name);
  }

  /** Resolves once no call is being handled, or after `timeoutMs`; true if drained. */
  drain(timeoutMs: number): Promise<boolean> {
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
          info = { ...spec, pointCount: 0 }; // dropped again meanwhile
        }
        return { collection: collectionInfoToProto(info), logIndex };
      }),

      DropCollection: this.#unary('DropCollection', async (req, call) => {
        validateCollectionName(req.name);
        const session = sessionFromProto(req.options);
        const writeConcern = writeConcernFromProto(req.options?.writeConcern);
        // a retried drop (same session) must reach the log to be deduplicated there
        if (!session) await this.#collectionForWrite(req.name, call);
        const { logIndex } = await this.#propose(
          { kind: 'dropCollection', name: req.name, ...(session && { session }) },
          { writeConcern, deadline: this.#deadline(call) },
        );
        return { logIndex };
      }),

      ListCollections: this.#read('ListCollections', async () => ({
        collections: this.#reader.listCollections().map(collectionInfoToProto),
      })),

      DescribeCollection: this.#read('DescribeCollection', async (req) =>
        collectionInfoToProto(this.#collection(req.name)),
      ),

      Upsert: this.#unary('Upsert', async (req, call) => {
        const info = await this.#collectionForWrite(req.collection, call);
        const session = sessionFromProto(req.options);
        const writeConcern = writeConcernFromProto(req.options?.writeConcern);
        const points: Point[] = req.points.map((p, i) => ({
          id: p.id,
          vector: Float32Array.from(p.vector),
          metadata: structToMetadata(
            p.metadata,
            `metadata of point ${i} (id ${idForMessage(p.id)})`,
          ),
        }));
        validatePoints(info.dimension, points, info.metric);
        const { result, logIndex } = await this.#propose(
          { kind: 'upsert', collection: req.collection, points, ...(session && { session }) },
          { writeConcern, deadline: this.#deadline(call) },
        );
        return { upserted: result.upserted ?? 0, deleted: 0, logIndex };
      }),

      Delete: this.#unary('Delete', async (req, call) => {
        await this.#collectionForWrite(req.collection, call);
        const session = sessionFromProto(req.options);
        const writeConcern = writeConcernFromProto(req.options?.writeConcern);
        validateIds(req.ids);
        const { result, logIndex } = await this.#propose(
          { kind: 'delete', collection: req.collection, ids: req.ids, ...(session && { session }) },
          { writeConcern, deadline: this.#deadline(call) },
        );
        return { upserted: 0, deleted: result.deleted ?? 0, logIndex };
      }),

      Get: this.#read('Get', async (req) => {
        this.#collection(req.collection);
        validateIds(req.ids);
        const points = await this.#reader.get(req.collection, req.ids, {
          withVector: req.withVector,
          withMetadata: req.withMetadata,
        });
        return { points: points.map(storedPointToProto) };
      }),

      Search: this.#read('Search', async (req) => {
        const info = this.#collection(req.collection);
        const filter = filterFromProto(req.filter);
        const query: SearchQuery = {
          collection: req.collection,
          vectors: req.queries.map((q) => Float32Array.from(q.values)),
          k: req.k,
          withVector: req.withVector,
          withMetadata: req.withMetadata,
          ...(filter && { filter }),
          ...(req.efSearch > 0 && { efSearch: req.efSearch }),
          ...(req.nprobe > 0 && { nprobe: req.nprobe }),
        };
        validateSearch(info.dimension, query, info.metric);
        const results = await this.#reader.search(query);
        return { results: results.map((hits) => ({ hits: hits.map(hitToProto) })) };
      }),

      Count: this.#read('Count', async (req) => {
        this.#collection(req.collection);
        const filter = filterFromProto(req.filter);
        if (filter) validateFilter(filter);
        return { count: await this.#reader.count(req.collection, filter) };
      }),

      Scroll: this.#read('Scroll', async (req) => {
        this.#collection(req.collection);
        const filter = filterFromProto(req.filter);
        const query: ScrollQuery = {
          collection: req.collection,
          limit: req.limit === 0 ? this.#defaultScrollLimit : req.limit,
          withVector: req.withVector,
          withMetadata: req.withMetadata,
          ...(req.afterId !== '' && { afterId: req.afterId }),
          ...(filter && { filter }),
        };
        validateScroll(query);
        const page = await this.#reader.scroll(query);
        return { points: page.points.map(storedPointToProto), nextAfterId: page.nextAfterId ?? '' };
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
