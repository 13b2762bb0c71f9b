// Original file: proto/raftvec/v1/vector.proto

/**
 * How fresh a read must be; which nodes may answer it follows from that.
 */
export const ReadConsistency = {
  /**
   * means LINEARIZABLE
   */
  READ_CONSISTENCY_UNSPECIFIED: 'READ_CONSISTENCY_UNSPECIFIED',
  /**
   * The leader confirms with a majority that it still leads (ReadIndex), then answers
   * from a state that holds every write acknowledged before the read arrived.
   */
  READ_CONSISTENCY_LINEARIZABLE: 'READ_CONSISTENCY_LINEARIZABLE',
  /**
   * The leader answers without a round trip while its lease holds (bounded clock
   * drift assumed); otherwise as LINEARIZABLE.
   */
  READ_CONSISTENCY_LEASE: 'READ_CONSISTENCY_LEASE',
  /**
   * Any replica that can prove its state misses no write committed more than
   * max_staleness_ms ago; the others refuse with a hint to the leader.
   */
  READ_CONSISTENCY_BOUNDED: 'READ_CONSISTENCY_BOUNDED',
  /**
   * Any replica that has applied min_applied_index (read-your-writes and monotonic
   * reads for a client that sends the highest index it has seen).
   */
  READ_CONSISTENCY_SESSION: 'READ_CONSISTENCY_SESSION',
  /**
   * Any replica, from whatever it has applied.
   */
  READ_CONSISTENCY_EVENTUAL: 'READ_CONSISTENCY_EVENTUAL',
} as const;

/**
 * How fresh a read must be; which nodes may answer it follows from that.
 */
export type ReadConsistency =
  /**
   * means LINEARIZABLE
   */
  | 'READ_CONSISTENCY_UNSPECIFIED'
  | 0
  /**
   * The leader confirms with a majority that it still leads (ReadIndex), then answers
   * from a state that holds every write acknowledged before the read arrived.
   */
  | 'READ_CONSISTENCY_LINEARIZABLE'
  | 1
  /**
   * The leader answers without a round trip while its lease holds (bounded clock
   * drift assumed); otherwise as LINEARIZABLE.
   */
  | 'READ_CONSISTENCY_LEASE'
  | 2
  /**
   * Any replica that can prove its state misses no write committed more than
   * max_staleness_ms ago; the others refuse with a hint to the leader.
   */
  | 'READ_CONSISTENCY_BOUNDED'
  | 3
  /**
   * Any replica that has applied min_applied_index (read-your-writes and monotonic
   * reads for a client that sends the highest index it has seen).
   */
  | 'READ_CONSISTENCY_SESSION'
  | 4
  /**
   * Any replica, from whatever it has applied.
   */
  | 'READ_CONSISTENCY_EVENTUAL'
  | 5

/**
 * How fresh a read must be; which nodes may answer it follows from that.
 */
export type ReadConsistency__Output = typeof ReadConsistency[keyof typeof ReadConsistency]
