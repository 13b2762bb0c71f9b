/**
 * Checks, from the outside, that the runtime keeps the core's snapshot contract
 * (RaftNode.wantsSnapshot): once the core has said it wants a snapshot, no `tick`,
 * `step`, `propose`, `readIndex` (nor `transferLeadership`) reaches it until
 * `installSnapshot` (or a later `wantsSnapshot` that says no), so that its yes still
 * holds when it is told. Wraps any core (also a broken one), in place, through the
 * runtime's `createNode` hook.
 */
import type { RaftNode } from '../../../src/raft/index.js';

const INPUTS = ['tick', 'step', 'propose', 'readIndex', 'transferLeadership'] as const;

export function checkingSnapshotContract(
  node: RaftNode,
  violation: (what: string) => void,
): RaftNode {
  let wanted: number | undefined;
  for (const name of INPUTS) {
    const input = (node[name] as (...args: unknown[]) => unknown).bind(node);
    (node as unknown as Record<string, unknown>)[name] = (...args: unknown[]): unknown => {
      if (wanted !== undefined)
        violation(
          `${name}() reached the core between wantsSnapshot(${wanted}) and installSnapshot`,
        );
      return input(...args);
    };
  }
  const wants = node.wantsSnapshot.bind(node);
  node.wantsSnapshot = (from, term, index) => {
    const yes = wants(from, term, index);
    wanted = yes ? index : undefined;
    return yes;
  };
  const install = node.installSnapshot.bind(node);
  node.installSnapshot = (offer) => {
    wanted = undefined;
    return install(offer);
  };
  return node;
}
