// Original file: proto/raftvec/v1/vector.proto

export const WriteConcern = {
  /**
   * means MAJORITY
   */
  WRITE_CONCERN_UNSPECIFIED: 'WRITE_CONCERN_UNSPECIFIED',
  /**
   * Acknowledged once committed by a majority and applied on the leader.
   */
  WRITE_CONCERN_MAJORITY: 'WRITE_CONCERN_MAJORITY',
  /**
   * Acknowledged once every voting member has applied it; fails with
   * DEADLINE_EXCEEDED (the write may still commit) if that does not happen in time.
   */
  WRITE_CONCERN_ALL: 'WRITE_CONCERN_ALL',
} as const;

export type WriteConcern =
  /**
   * means MAJORITY
   */
  | 'WRITE_CONCERN_UNSPECIFIED'
  | 0
  /**
   * Acknowledged once committed by a majority and applied on the leader.
   */
  | 'WRITE_CONCERN_MAJORITY'
  | 1
  /**
   * Acknowledged once every voting member has applied it; fails with
   * DEADLINE_EXCEEDED (the write may still commit) if that does not happen in time.
   */
  | 'WRITE_CONCERN_ALL'
  | 2

export type WriteConcern__Output = typeof WriteConcern[keyof typeof WriteConcern]
