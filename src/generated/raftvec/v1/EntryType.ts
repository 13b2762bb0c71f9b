// Original file: proto/raftvec/v1/raft_storage.proto

export const EntryType = {
  /**
   * a LogCommand (command.proto)
   */
  ENTRY_TYPE_NORMAL: 'ENTRY_TYPE_NORMAL',
  /**
   * appended by a new leader at the start of its term (Raft §8)
   */
  ENTRY_TYPE_NOOP: 'ENTRY_TYPE_NOOP',
  /**
   * a whole cluster configuration (src/raft/membership.ts), JSON
   */
  ENTRY_TYPE_CONFIG: 'ENTRY_TYPE_CONFIG',
} as const;

export type EntryType =
  /**
   * a LogCommand (command.proto)
   */
  | 'ENTRY_TYPE_NORMAL'
  | 0
  /**
   * appended by a new leader at the start of its term (Raft §8)
   */
  | 'ENTRY_TYPE_NOOP'
  | 1
  /**
   * a whole cluster configuration (src/raft/membership.ts), JSON
   */
  | 'ENTRY_TYPE_CONFIG'
  | 2

export type EntryType__Output = typeof EntryType[keyof typeof EntryType]
