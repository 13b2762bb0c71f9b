/**
 * The domain of raftvec, independent of the wire (proto) and of storage:
 * collections, points, filters, searches, and the commands that the
 * replicated log carries. The server translates gRPC messages into these
 * types; the state machine applies commands and answers queries in them.
 */

export type Metric = 'l2' | 'ip' | 'cosine';

export interface CollectionSpec {
  name: string;
  dimension: number;
  metric: Metric;
  /** FAISS factory string, wrapped in IDMap2 by the binding. Default `Flat`. */
  indexSpec: string;
  /**
   * The HNSW search breadth a search uses when it names none (HNSW indexes only).
   * Absent: DEFAULT_EF_SEARCH (256).
   */
  efSearch?: number;
}

export interface CollectionInfo extends CollectionSpec {
  pointCount: number;
  /** The collection's payload indexes, sorted by key. */
  payloadIndexes: PayloadIndexSpec[];
}

/** JSON metadata attached to a point. Only plain JSON objects are allowed. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type Metadata = { [key: string]: JsonValue };

export interface Point {
  id: string;
  vector: Float32Array;
  metadata: Metadata;
}

/** A point as read back; vector and metadata are absent when not requested. */
export interface StoredPoint {
  id: string;
  vector?: Float32Array;
  metadata?: Metadata;
}

/**
 * A metadata filter (docs/filters.md has the exact semantics, next to Qdrant's). A point
 * matches when every `must` condition holds, at least `minShould` (default 1) of the
 * `should` conditions hold (when there are any), and no `mustNot` condition holds. An
 * empty filter matches every point. Keys are dotted paths into nested objects
 * (`author.name`); a condition on an array holds when any element satisfies it.
 */
export interface Filter {
  must?: Condition[];
  should?: Condition[];
  /** With `should`: how many of its conditions must hold (default 1). */
  minShould?: number;
  mustNot?: Condition[];
}

export type Scalar = string | number | boolean;

export interface NumberRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** Bounds as RFC 3339 timestamps (`2024-05-01`, `2024-05-01T12:00:00Z`, `…+02:00`); no offset means UTC. */
export interface DatetimeRange {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
}

/** A condition on the values at one metadata key. */
export type FieldCondition =
  | { key: string; equals: Scalar }
  | { key: string; in: Scalar[] }
  | { key: string; notIn: Scalar[] }
  | { key: string; range: NumberRange }
  | { key: string; datetimeRange: DatetimeRange }
  | { key: string; isNull: true }
  | { key: string; isEmpty: true }
  | { key: string; exists: true };

/** A condition: on a key, on the point's id, or a nested filter. */
export type Condition = FieldCondition | { hasId: string[] } | { filter: Filter };

/** The value types a payload index can hold, each answering some conditions fast. */
export type PayloadIndexType = 'keyword' | 'integer' | 'float' | 'bool' | 'datetime';

export interface PayloadIndexSpec {
  key: string;
  type: PayloadIndexType;
}

/** Which points a write applies to: a list of ids, or every point matching a filter. */
export type PointSelector = { ids: string[] } | { filter: Filter };

/** How a payload update changes the metadata of the points it selects. */
export type PayloadUpdate =
  /** Sets these top-level keys, keeping the others. */
  | { op: 'set'; payload: Metadata }
  /** Replaces the whole metadata. */
  | { op: 'overwrite'; payload: Metadata }
  /** Removes these keys (dotted paths). */
  | { op: 'deleteKeys'; keys: string[] };

/**
 * One query of a search: a vector, or the id of a stored point whose vector is the
 * query (that point is left out of its hits); with its own filter and k, if given,
 * instead of the search's.
 */
export interface SearchTarget {
  vector?: Float32Array;
  pointId?: string;
  filter?: Filter;
  k?: number;
}

/** Which metadata a read returns: none, all of it, or only these keys (dotted paths). */
export interface MetadataSelection {
  withMetadata: boolean;
  /** Non-empty: only these keys (implies withMetadata). */
  metadataKeys?: string[];
}

export interface SearchQuery extends MetadataSelection {
  collection: string;
  /** One or more query vectors, each of the collection's dimension. */
  vectors: Float32Array[];
  /**
   * Per query (same length as `vectors` when given): a stored point's id to search
   * by, and a filter or k of its own. A query by id has an empty vector in `vectors`.
   */
  targets?: SearchTarget[];
  k: number;
  filter?: Filter;
  withVector: boolean;
  efSearch?: number;
  nprobe?: number;
  /**
   * Hits beyond this score are left out: for l2 those farther than it (score above),
   * for ip and cosine those less similar (score below).
   */
  scoreThreshold?: number;
}

export interface SearchHit {
  id: string;
  /** Distance as FAISS reports it: squared L2 for `l2`, inner product for `ip` and `cosine`. */
  score: number;
  vector?: Float32Array;
  metadata?: Metadata;
}

export interface ScrollQuery extends MetadataSelection {
  collection: string;
  /** Return points whose id sorts strictly after this one (byte order). */
  afterId?: string;
  limit: number;
  filter?: Filter;
  withVector: boolean;
}

export interface ScrollPage {
  points: StoredPoint[];
  /** Id to pass as `afterId` for the next page; absent on the last page. */
  nextAfterId?: string;
}

/**
 * Who sent a write, for exactly-once application: the state machine remembers
 * the highest sequence applied per client and applies a retried write once.
 */
export interface ClientSession {
  clientId: string;
  sequence: number;
}

/** What every write carries besides its operation. */
export interface WriteStamp {
  session?: ClientSession;
  /**
   * The leader's wall-clock time (ms) when it accepted the write: the only clock
   * that apply may read, because it is in the entry (Raft thesis §6.3). Drives
   * session expiry.
   */
  leaderTimeMs?: number;
}

/** One operation of a batch: a write to the batch's collection. */
export type BatchOperation =
  | { kind: 'upsert'; points: Point[] }
  | { kind: 'delete'; ids: string[] }
  | { kind: 'deleteByFilter'; filter: Filter }
  | { kind: 'updatePayload'; points: PointSelector; update: PayloadUpdate };

/** What one operation of a batch did. */
export interface OperationResult {
  upserted?: number;
  deleted?: number;
  updated?: number;
}

/** A write, as carried by the log and applied deterministically by every replica. */
export type Command =
  | ({ kind: 'createCollection'; spec: CollectionSpec } & WriteStamp)
  | ({ kind: 'dropCollection'; name: string } & WriteStamp)
  | ({ kind: 'upsert'; collection: string; points: Point[] } & WriteStamp)
  | ({ kind: 'delete'; collection: string; ids: string[] } & WriteStamp)
  | ({ kind: 'deleteByFilter'; collection: string; filter: Filter } & WriteStamp)
  | ({
      kind: 'updatePayload';
      collection: string;
      points: PointSelector;
      update: PayloadUpdate;
    } & WriteStamp)
  | ({ kind: 'createPayloadIndex'; collection: string; index: PayloadIndexSpec } & WriteStamp)
  | ({ kind: 'dropPayloadIndex'; collection: string; key: string } & WriteStamp)
  /** Operations applied in order, each seeing the ones before, all of them or none. */
  | ({ kind: 'batch'; collection: string; operations: BatchOperation[] } & WriteStamp)
  /** Appended by a new Raft leader at the start of its term (Raft §8); changes nothing. */
  | { kind: 'noop' };

/** What applying a command produced; deterministic on every replica. */
export type ApplyResult =
  | {
      ok: true;
      upserted?: number;
      deleted?: number;
      /** Points a payload update applied to (those its ids or filter selected). */
      updated?: number;
      created?: boolean;
      dropped?: boolean;
      /** A batch: one result per operation. */
      results?: OperationResult[];
    }
  | { ok: false; code: ApplyErrorCode; message: string };

/** Why applying a command was refused; each is deterministic, the same on every replica. */
export type ApplyErrorCode =
  'NOT_FOUND' | 'ALREADY_EXISTS' | 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION';
