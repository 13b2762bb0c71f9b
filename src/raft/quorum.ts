/**
 * Majority arithmetic for a single group of voters (joint consensus will add a
 * second group here when membership changes arrive).
 */
import type { NodeId } from './types.js';

/** Smallest number of voters that forms a majority. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * The highest index replicated on a majority: sort match indexes descending and
 * take the majority-th. Whether it may be *committed* is the caller's business
 * (§5.4.2: only if it belongs to the current term).
 */
export function quorumMatchIndex(matches: readonly number[]): number {
  const sorted = [...matches].sort((a, b) => b - a);
  return sorted[majority(matches.length) - 1] ?? 0;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Tally of an election (or pre-election) among `voters`. */
export function tallyVotes(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  const need = majority(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const vote = votes.get(v);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  if (granted >= need) return 'won';
  if (rejected > voters.length - need) return 'lost';
  return 'pending';
}
