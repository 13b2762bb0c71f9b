/** What `raftvec member` and `raftvec leader transfer` share: finding the leader, printing a configuration. */
import { ClusterStatusClient } from '../client/cluster-status.js';
import type { Membership__Output } from '../generated/raftvec/v1/Membership.js';
import { status as grpcStatus, type ChannelCredentials } from '@grpc/grpc-js';
import { RaftvecClientError } from '../client/errors.js';
import { CliError } from './errors.js';
import { printJson } from './output.js';

/**
 * Asks the nodes at `addresses` in turn who leads; answers the leader's id and client
 * address (asking with `apiKey`, if given). CliError when none knows a leader.
 */
export async function findLeader(
  addresses: readonly string[],
  timeoutMs: number,
  apiKey?: string,
  credentials?: ChannelCredentials,
): Promise<{ id: string; address: string }> {
  for (const address of addresses) {
    const probe = new ClusterStatusClient(address, { apiKey, credentials });
    try {
      const status = await probe.status(Math.min(timeoutMs, 5_000));
      if (status.role === 'leader') return { id: status.id, address };
      if (status.leaderAddress !== '')
        return { id: status.leaderId, address: status.leaderAddress };
    } catch (err) {
      // A refused key is said as such (another node would refuse it too); else try the next.
      const code = (err as { code?: unknown }).code;
      if (code === grpcStatus.UNAUTHENTICATED || code === grpcStatus.PERMISSION_DENIED)
        throw RaftvecClientError.fromServiceError('Status', err);
    } finally {
      probe.close();
    }
  }
  throw new CliError(`no leader found at ${addresses.join(', ')}; retry once one is elected`);
}

/** A configuration as `raftvec member` prints it: JSON, voters and learners listed apart. */
export function printMembership(m: Membership__Output): void {
  const byRole = (role: string) =>
    m.members
      .filter((x) => x.role === role)
      .map((x) => ({
        id: x.id,
        peerAddress: x.peerAddress,
        ...(x.clientAddress !== '' && { clientAddress: x.clientAddress }),
      }));
  printJson({
    voters: byRole('voter'),
    learners: byRole('learner'),
    index: Number(m.index),
    committed: m.committed,
  });
}
