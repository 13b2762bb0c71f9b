/**
 * Defaults and validation for RaftConfig.
 */
import { RaftConfigError } from './errors.js';
import type { RaftConfig } from './types.js';

/**
 * Defaults, in ticks and counts. With a 100 ms tick these give etcd's 100 ms
 * heartbeat and a 1–2 s randomized election timeout (design: "etcd defaults").
 * `random` has no default: the core never touches Math.random.
 */
export const DEFAULT_RAFT_CONFIG = {
  electionTick: 10,
  heartbeatTick: 1,
  maxInflightMessages: 64,
  maxEntriesPerMessage: 1024,
  /** 1 MiB: well under the 64 MiB gRPC message limit, small enough to keep heartbeats timely. */
  maxBytesPerMessage: 1024 * 1024,
  preVote: true,
  checkQuorum: true,
  // Off by default so that unit tests can elect fresh nodes at once; see RaftConfig.
  voteQuietAfterStart: false,
  commitNoticeOnTick: false,
  maxPromotionLag: 256,
} as const satisfies Partial<RaftConfig>;

export type RaftConfigInput = Pick<RaftConfig, 'id' | 'peers' | 'random'> &
  Partial<Omit<RaftConfig, 'id' | 'peers' | 'random'>>;

/** Fills in defaults and validates. */
export function resolveConfig(input: RaftConfigInput): RaftConfig {
  const config: RaftConfig = { ...DEFAULT_RAFT_CONFIG, ...input };
  validateConfig(config);
  return config;
}

const isPositiveInt = (n: number): boolean => Number.isSafeInteger(n) && n > 0;

export function validateConfig(c: RaftConfig): void {
  if (typeof c.id !== 'string' || c.id === '')
    throw new RaftConfigError('id must be a non-empty string');
  if (new Set(c.peers).size !== c.peers.length) throw new RaftConfigError('peers must be unique');
  if (c.peers.some((p) => typeof p !== 'string' || p === '')) {
    throw new RaftConfigError('peer ids must be non-empty strings');
  }
  for (const key of [
    'electionTick',
    'heartbeatTick',
    'maxInflightMessages',
    'maxEntriesPerMessage',
    'maxBytesPerMessage',
    'maxPromotionLag',
  ] as const) {
    if (!isPositiveInt(c[key])) throw new RaftConfigError(`${key} must be a positive integer`);
  }
  // Followers must hear a heartbeat well within their election timeout.
  if (c.heartbeatTick >= c.electionTick) {
    throw new RaftConfigError('heartbeatTick must be smaller than electionTick');
  }
  if (typeof c.random !== 'function') throw new RaftConfigError('random must be a function');
}
