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
  ScrollPage,
  SearchHit,
  StoredPoint,
} from '../domain.js';
import { RaftvecError } from '../errors.js';
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
import type { Point__Output } from '../generated/raftvec/v1/Point.js';
import type { ScoredPoint__Output } from '../generated/raftvec/v1/ScoredPoint.js';
import type { WriteOptions } from '../generated/raftvec/v1/WriteOptions.js';
import * as grpc from '@grpc/grpc-js';

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
  credentials?: grpc.ChannelCredentials;
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
}

export interface ReadOptions extends ConsistencyOptions {
  /** Return vectors. Default: true for get/scroll, false for search. */
  withVector?: boolean;
  /** Return metadata. Default true. */
  withMetadata?: boolean;
}

export interface SearchOptions extends ReadOptions {
  /** Neighbours per query. Default 10. */
  k?: number;
  filter?: Filter;
  /** HNSW search depth (index default if absent). */
  efSearch?: number;
  /** IVF cells to probe (index default if absent). */
  nprobe?: number;
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

const isSingleVector = (v: Vector | readonly Vector[]): v is Vector =>
  v instanceof Float32Array || (Array.isArray(v) && v.length > 0 && typeof v[0] === 'number');

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
      ...(options.credentials && { credentials: options.credentials }),
      ...(options.writeStream !== undefined && { writeStream: options.writeStream }),
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
          throw new RaftvecError(
            'INVALID_ARGUMENT',
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
    const wirePoints = this.#encode('Upsert', () =>
      points.map((p) => ({
        id: p.id,
        vectorF32: vectorToF32Bytes(p.vector),
        metadata: metadataToStruct(p.metadata ?? {}),
      })),
    );
    const res = await this.#write(
      'Upsert',
      (wo) => ({ collection, points: wirePoints, options: wo }),
      opts,
    );
    return { upserted: res.upserted, logIndex: res.logIndex };
  }

  /** Deletes points by id; ids that do not exist are ignored. */
  async delete(
    collection: string,
    ids: readonly string[],
    opts?: WriteCallOptions,
  ): Promise<{ deleted: number } & WriteResult> {
    const res = await this.#write(
      'Delete',
      (wo) => ({ collection, ids: [...ids], options: wo }),
      opts,
    );
    return { deleted: res.deleted, logIndex: res.logIndex };
  }

  /** The points that exist, in the order asked. */
  async get(
    collection: string,
    ids: readonly string[],
    opts?: ReadOptions,
  ): Promise<StoredPoint[]> {
    const withVector = opts?.withVector ?? true;
    const withMetadata = opts?.withMetadata ?? true;
    const res = await this.#read(
      'Get',
      (readOptions) => ({ collection, ids: [...ids], withVector, withMetadata, readOptions }),
      opts,
    );
    return res.points.map((p) => pointFromProto(p, withVector, withMetadata));
  }

  /** Nearest neighbours of one vector (hits, best first) or of several (one list per vector). */
  search(collection: string, vector: Vector, opts?: SearchOptions): Promise<SearchHit[]>;
  search(
    collection: string,
    vectors: readonly Vector[],
    opts?: SearchOptions,
  ): Promise<SearchHit[][]>;
  async search(
    collection: string,
    vectorOrVectors: Vector | readonly Vector[],
    opts?: SearchOptions,
  ): Promise<SearchHit[] | SearchHit[][]> {
    const single = isSingleVector(vectorOrVectors);
    const vectors: readonly Vector[] = single
      ? [vectorOrVectors]
      : (vectorOrVectors as readonly Vector[]);
    const withVector = opts?.withVector ?? false;
    const withMetadata = opts?.withMetadata ?? true;
    const filter = this.#encode('Search', () => filterToProto(opts?.filter));
    const res = await this.#read(
      'Search',
      (readOptions) => ({
        readOptions,
        collection,
        queries: vectors.map((v) => ({ valuesF32: vectorToF32Bytes(v) })),
        k: opts?.k ?? 10,
        filter,
        withVector,
        withMetadata,
        efSearch: opts?.efSearch ?? 0,
        nprobe: opts?.nprobe ?? 0,
      }),
      opts,
    );
    const results = res.results.map((r) =>
      r.hits.map((h) => hitFromProto(h, withVector, withMetadata)),
    );
    return single ? (results[0] ?? []) : results;
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
    const withMetadata = opts?.withMetadata ?? true;
    const filter = this.#encode('Scroll', () => filterToProto(opts?.filter));
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
