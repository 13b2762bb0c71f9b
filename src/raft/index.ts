/**
 * The Raft consensus core: pure, synchronous and I/O-free. See raft-node.ts for
 * the driving contract and types.ts (Ready) for the order in which a runtime must
 * persist, send and apply.
 */
export {
  RaftNode,
  messageMalformation,
  type ProposeResult,
  type ReadyLimits,
} from './raft-node.js';
export {
  DEFAULT_RAFT_CONFIG,
  resolveConfig,
  validateConfig,
  type RaftConfigInput,
} from './config.js';
export {
  NotLeaderError,
  RaftConfigError,
  RaftInvariantError,
  TransferInProgressError,
} from './errors.js';
export { majority } from './quorum.js';
export type {
  AppendEntriesMessage,
  AppendEntriesResponseMessage,
  Entry,
  EntryType,
  HardState,
  HeartbeatMessage,
  HeartbeatResponseMessage,
  InitialState,
  InstalledSnapshot,
  InstallSnapshotMessage,
  Message,
  MessageType,
  NodeId,
  PeerProgress,
  PreVoteMessage,
  PreVoteResponseMessage,
  ProgressState,
  RaftConfig,
  RaftStatus,
  ReadState,
  Ready,
  RejectedMessage,
  RequestVoteMessage,
  RequestVoteResponseMessage,
  Role,
  SnapshotOffer,
  SnapshotPoint,
  SnapshotRequest,
  SoftState,
  TimeoutNowMessage,
} from './types.js';
