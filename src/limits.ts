/** Limits enforced at the edge (validation) so nothing oversized reaches the log. */
export const limits = {
  /** Collection names: letters, digits, `_` and `-`, starting with a letter or digit. */
  collectionNamePattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/,
  maxPointIdBytes: 512,
  maxDimension: 65_536,
  maxPointsPerWrite: 10_000,
  maxIdsPerRequest: 10_000,
  maxQueriesPerSearch: 1_024,
  maxK: 10_000,
  maxScrollLimit: 10_000,
  maxMetadataBytes: 64 * 1024,
  maxIndexSpecLength: 256,
  /** Nesting depth of metadata objects/arrays (a flat object has depth 1). */
  maxMetadataDepth: 32,
  /** Conditions in one filter, and values in one `in` condition. */
  maxFilterConditions: 64,
  maxFilterInValues: 1_024,
  maxFilterKeyLength: 256,
  /** Search-time knobs: HNSW efSearch and IVF nprobe. */
  maxEfSearch: 32_768,
  maxNprobe: 65_536,
  /** gRPC message size limit, both directions. A larger message gets RESOURCE_EXHAUSTED. */
  maxMessageBytes: 64 * 1024 * 1024,
  /**
   * An encoded log entry (metadata as JSON can outgrow its protobuf form). Larger
   * proposals are refused, so that every entry fits, alone, in one peer message of
   * maxMessageBytes (the Raft core sends an entry above its batching bound alone).
   */
  maxLogEntryBytes: 60 * 1024 * 1024,
} as const;
