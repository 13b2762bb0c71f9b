/**
 * `serve --join ADDR`: a new node asks a running cluster to add it as a learner and
 * learns the configuration from the answer; once it runs, it asks to be promoted to
 * voter (the leader waits for it to catch up first). Like `etcdctl member add` and an
 * `--initial-cluster-state existing` start, in one step.
 */
import * as grpc from '@grpc/grpc-js';
import { LEADER_ADDRESS_KEY } from '../api/metadata-keys.js';
import { ClusterStatusClient } from '../client/cluster-status.js';
import type { Membership as MembershipProto } from '../generated/raftvec/v1/Membership.js';
import {
  canonicalMembership,
  memberOf,
  membershipProblem,
  type Member,
  type MemberRole,
  type Membership,
} from '../raft/membership.js';
import { peerCredentials } from '../raft/runtime/peer-transport.js';
import type { LearnedMembership } from '../raft/runtime/raft-runtime.js';
import type { NodeId } from '../raft/types.js';

export interface JoinOptions {
  /** Any member's address. */
  address: string;
  clusterSecret: string;
  id: NodeId;
  /** Where the cluster reaches this node. */
  peerAddress: string;
  clientAddress: string;
  /** Give up after this long (the cluster may be electing a leader meanwhile). */
  timeoutMs: number;
  log: (line: string) => void;
  /** Whether to keep trying (false once the node stops). */
  active?: () => boolean;
  /** How to dial the cluster: the peer TLS credentials with mutual TLS, else plaintext. */
  credentials?: () => grpc.ChannelCredentials;
}

/** Why the cluster refused this node outright. */
export class JoinRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JoinRefused';
  }
}

const RETRY_MS = 250;

/** A configuration from the network (the members of a Membership answer), checked. */
function checkedMembers(list: NonNullable<MembershipProto['members']>): Membership {
  const members: Member[] = list.map((m) => ({
    id: m.id ?? '',
    // Checked below with the rest.
    role: m.role as MemberRole,
    peerAddress: m.peerAddress ?? '',
    clientAddress: m.clientAddress ?? '',
  }));
  const problem = membershipProblem({ members });
  if (problem !== undefined)
    throw new Error(`the cluster answered an invalid configuration: ${problem}`);
  return canonicalMembership(members);
}

/**
 * Calls `call` at `address`, following the leader hints of UNAVAILABLE answers and
 * retrying while the cluster has no leader, until `timeoutMs`. Other errors reject.
 */
export async function atLeader<T>(
  options: Pick<JoinOptions, 'address' | 'timeoutMs' | 'active' | 'credentials'>,
  call: (client: ClusterStatusClient, remainingMs: number) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let target = options.address;
  for (;;) {
    const client = new ClusterStatusClient(target, { credentials: options.credentials?.() });
    try {
      return await call(client, Math.max(1, deadline - Date.now()));
    } catch (error) {
      const e = error as Partial<grpc.ServiceError>;
      const retryable =
        e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED;
      if (!retryable || Date.now() >= deadline || options.active?.() === false) throw error;
      const hint = e.metadata?.get(LEADER_ADDRESS_KEY)[0];
      target = typeof hint === 'string' && hint !== '' ? hint : options.address;
    } finally {
      client.close();
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/**
 * Asks the cluster to add this node as a learner and answers the configuration at the
 * leader's log start, with that index: in force from there on (at 0, the one the cluster
 * started with). What came before is unknown to this node: if a later leader sends it
 * entries from before that point, it does not compact there (RaftNode.knowsMembershipAt);
 * the snapshot it usually needs first replaces it. Refuses (JoinRefused) when this id is already a voter: a voter that lost its
 * disk may have voted in the current term and must not vote again; it is removed
 * first (`raftvec member remove`), then joins afresh.
 */
export async function joinCluster(options: JoinOptions): Promise<LearnedMembership> {
  const credentials = peerCredentials(options.clusterSecret, options.id);
  let answer: MembershipProto;
  try {
    answer = await atLeader(options, (client, remainingMs) =>
      client.addMember(
        credentials,
        {
          id: options.id,
          peerAddress: options.peerAddress,
          clientAddress: options.clientAddress,
          learner: true,
        },
        remainingMs,
      ),
    );
  } catch (error) {
    const e = error as Partial<grpc.ServiceError>;
    throw new JoinRefused(
      `could not join the cluster at ${options.address} as ${options.id}: ${e.details ?? String(error)}`,
    );
  }
  const membership = checkedMembers(answer.members ?? []);
  const self = memberOf(membership, options.id);
  if (self === undefined)
    throw new JoinRefused(`the cluster's answer does not list ${options.id} as a member`);
  if (self.role === 'voter')
    throw new JoinRefused(
      `${options.id} is already a voter of the cluster at ${options.address}, and this node has no Raft state: a voter that lost its disk must not vote again. Remove it first (raftvec member remove ${options.id}), then join again`,
    );
  options.log(
    `${options.id}: joined the cluster at ${options.address} as a learner (configuration entry ${String(answer.index)})`,
  );
  // The configuration at the leader's log start is in force from there on; a server that
  // does not say (an older version) gives the newest, in force from its entry on.
  if ((answer.logStartMembers ?? []).length > 0)
    return {
      membership: checkedMembers(answer.logStartMembers!),
      knownFrom: Number(answer.logStartIndex ?? 0),
    };
  return { membership, knownFrom: Number(answer.index ?? 0) };
}

/**
 * Once the joined node runs: asks the leader to promote it (the leader waits until it
 * has caught up), retrying until it is a voter or `active()` turns false.
 */
export async function promoteSelf(options: JoinOptions): Promise<void> {
  const credentials = peerCredentials(options.clusterSecret, options.id);
  while (options.active?.() !== false) {
    try {
      const answer = await atLeader(options, (client, remainingMs) =>
        client.promoteMember(credentials, { id: options.id }, remainingMs),
      );
      options.log(`${options.id}: promoted to voter (configuration entry ${String(answer.index)})`);
      return;
    } catch (error) {
      const e = error as Partial<grpc.ServiceError>;
      if (e.code === grpc.status.FAILED_PRECONDITION && /already a voter/.test(e.details ?? ''))
        return;
      // Still catching up, or no leader: ask again. Anything else (removed meanwhile, a
      // wrong secret) will not change by asking again.
      if (e.code !== grpc.status.UNAVAILABLE && e.code !== grpc.status.DEADLINE_EXCEEDED) {
        options.log(
          `${options.id}: stays a learner: ${e.details ?? String(error)} (promote it with raftvec member promote ${options.id})`,
        );
        return;
      }
      options.log(`${options.id}: not promoted yet: ${e.details ?? String(error)}; retrying`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
