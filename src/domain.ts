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
 * A metadata filter: every condition must hold (AND). Keys may be dotted paths
 * into nested objects (`author.name`).
 */
export interface Filter {
  must: Condition[];
}

export type Scalar = string | number | boolean;

export type Condition =
  | { key: string; equals: Scalar }
  | { key: string; in: Scalar[] }
  | { key: string; range: { gt?: number; gte?: number; lt?: number; lte?: number } };

export interface SearchQuery {
  collection: string;
  /** One or more query vectors, each of the collection's dimension. */
  vectors: Float32Array[];
  k: number;
  filter?: Filter;
  withVector: boolean;
  withMetadata: boolean;
  efSearch?: number;
  nprobe?: number;
}

export interface SearchHit {
  id: string;
  /** Distance as FAISS reports it: squared L2 for `l2`, inner product for `ip` and `cosine`. */
  score: number;
  vector?: Float32Array;
  metadata?: Metadata;
}

export interface ScrollQuery {
  collection: string;
  /** Return points whose id sorts strictly after this one (byte order). */
  afterId?: string;
  limit: number;
  filter?: Filter;
  withVector: boolean;
  withMetadata: boolean;
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

/** A write, as carried by the log and applied deterministically by every replica. */
export type Command =
  | ({ kind: 'createCollection'; spec: CollectionSpec } & WriteStamp)
  | ({ kind: 'dropCollection'; name: string } & WriteStamp)
  | ({ kind: 'upsert'; collection: string; points: Point[] } & WriteStamp)
  | ({ kind: 'delete'; collection: string; ids: string[] } & WriteStamp)
  /** Appended by a new Raft leader at the start of its term (Raft §8); changes nothing. */
  | { kind: 'noop' };

/** What applying a command produced; deterministic on every replica. */
export type ApplyResult =
  | { ok: true; upserted?: number; deleted?: number; created?: boolean; dropped?: boolean }
  | { ok: false; code: ApplyErrorCode; message: string };

/** Why applying a command was refused; each is deterministic, the same on every replica. */
export type ApplyErrorCode =
  'NOT_FOUND' | 'ALREADY_EXISTS' | 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION';
