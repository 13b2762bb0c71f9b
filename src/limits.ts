/**
 * Limits enforced at the edge (validation) so nothing oversized reaches the log.
 *
 * One source of truth: the FAISS binding has its own input limits (native/src),
 * and src/index/faiss.ts refuses to load an addon whose limits disagree with
 * these (see `nativeLimitMismatches`): validation must reject everything the
 * binding would reject, or a write that passed validation and was committed
 * would fail to apply on every replica.
 */
export const limits = {
  /** Collection names: letters, digits, `_` and `-`, starting with a letter or digit. */
  collectionNamePattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/,
  maxPointIdBytes: 512,
  /** Equal to the binding's kMaxDimension. */
  maxDimension: 65_536,
  /**
   * Largest |component| of a stored or query vector. Equal to the binding's
   * kMaxAbsValue (the float32 nearest 1e15): it keeps every squared distance
   * and inner product of float32 vectors of up to maxDimension components
   * finite (65,536 · 4 · 1e30 < 3.4e38).
   */
  maxAbsVectorValue: 1e15,
  maxPointsPerWrite: 10_000,
  maxIdsPerRequest: 10_000,
  maxQueriesPerSearch: 1_024,
  /** At most the binding's maxK. */
  maxK: 10_000,
  /**
   * queries × k of one search: every hit costs the event loop a few
   * microseconds to build and encode, so this bounds how long one search can
   * hold the loop (and Raft's heartbeats) while its response is built.
   */
  maxResultsPerSearch: 16_384,
  maxScrollLimit: 10_000,
  /**
   * Vectors and metadata in one Get, Search or Scroll response (estimated:
   * 4 bytes per vector component, metadata as JSON, plus the id and 16 bytes
   * per point). Encoding a response is synchronous in gRPC (protobuf.js,
   * ~100 ns per byte of vectors), so this bounds that stall too. Vectors are
   * checked before any work (INVALID_ARGUMENT); metadata while the response
   * is built (RESOURCE_EXHAUSTED); a Scroll page stops short instead.
   */
  maxResponseBytes: 2 * 1024 * 1024,
  /**
   * Upsert payloads (4 bytes per vector component plus the ids) being
   * converted, validated, replicated and applied at once on one node; a write
   * beyond it gets RESOURCE_EXHAUSTED (retry later) instead of more memory.
   */
  maxInFlightWriteBytes: 64 * 1024 * 1024,
  maxMetadataBytes: 64 * 1024,
  maxIndexSpecLength: 256,
  /** Nesting depth of metadata objects/arrays (a flat object has depth 1). */
  maxMetadataDepth: 32,
  /** Conditions in one filter (nested ones included), and values in one `in` condition. */
  maxFilterConditions: 128,
  /** Nesting of filters in filters (a filter without nested ones has depth 1). */
  maxFilterDepth: 8,
  /**
   * Points one delete or payload update by filter may change: all of them go into one
   * log entry's LevelDB batch (an update rewrites each point's record, vector included).
   */
  maxPointsPerFilterWrite: 100_000,
  /**
   * Bytes of point records (vectors included) one payload update rewrites: its
   * LevelDB batch is held in memory whole.
   */
  maxPayloadUpdateBytes: 64 * 1024 * 1024,
  /** Operations in one UpdateBatch (their points count together against maxPointsPerWrite). */
  maxOperationsPerBatch: 256,
  /** Payload indexes per collection. */
  maxPayloadIndexes: 64,
  maxFilterInValues: 1_024,
  /** Different per-query filters in one search. */
  maxFiltersPerSearch: 64,
  /** Values of every in, notIn and hasId list of one filter, together. */
  maxFilterValues: 16_384,
  maxFilterKeyLength: 256,
  /** Search-time knobs: HNSW efSearch and IVF nprobe (each at most the binding's maxSearchKnob). */
  maxEfSearch: 32_768,
  maxNprobe: 65_536,
  /**
   * gRPC message size limit, both directions, for clients and peers alike (they
   * share one server). A larger message gets RESOURCE_EXHAUSTED before it is
   * buffered. Decoding a request is synchronous (~25 ms per MiB with
   * protobuf.js), so a smaller bound keeps one upsert from holding the event
   * loop, and with it Raft's heartbeats, for long.
   */
  maxMessageBytes: 8 * 1024 * 1024,
  /**
   * An encoded log entry (metadata as JSON can outgrow its protobuf form). Larger
   * proposals are refused, so that every entry fits, alone, in one peer message of
   * maxMessageBytes (the Raft core sends an entry above its batching bound alone).
   */
  maxLogEntryBytes: 7 * 1024 * 1024 + 512 * 1024,
  /**
   * Parameters of an index spec (a FAISS factory string), each as an inclusive
   * range. FAISS allocates some structures when the index is created, before
   * any point arrives (`HNSW65536` took 87 MB for 200 points of dimension 4),
   * and aborts the process on some degenerate values (`IVF0`, `HNSW1`).
   */
  indexSpec: {
    /** HNSW M: graph links per node and level (2·M on level 0). */
    hnswM: { min: 4, max: 128 },
    /** IVF nlist: inverted lists (k-means centroids). */
    ivfLists: { min: 1, max: 65_536 },
    /** IMI2x<b>: bits per sub-quantizer, 2^(2b) lists in all. */
    imiBits: { min: 1, max: 8 },
    /** PQ<m>x<b> as a whole index: bits per sub-quantizer code. */
    pqBits: { min: 1, max: 16 },
    /** ...inside an IVF (FAISS 1.7.3's IndexIVFPQ refuses more than 8). */
    ivfPqBits: { min: 1, max: 8 },
    /**
     * Memory an index spec fixes per collection, whatever it holds: PQ
     * codebooks (2^bits · dimension floats) and vector-transform matrices
     * (PCA also needs a dimension² covariance to train).
     */
    maxFixedBytes: 256 * 1024 * 1024,
  },
} as const;

export interface ParamRange {
  readonly min: number;
  readonly max: number;
}
