/**
 * Each node's data directory opened alone, after the cluster stopped: its applied
 * index, its digest of everything applied, and a fingerprint of what it holds.
 * Replicas that applied the same entries must agree on all three.
 */
import { createHash } from 'node:crypto';
import { VectorStateMachine } from '../src/storage/state-machine.js';
import { replicaPaths } from '../src/storage/replica-state.js';

export interface NodeState {
  node: string;
  appliedIndex: number;
  digest: string;
  /** SHA-256 of every collection's points (id and metadata, in id order). */
  contents: string;
  points: number;
}

const PAGE = 1_000;

export async function readNodeState(node: string, dataDir: string): Promise<NodeState> {
  const sm = await VectorStateMachine.open(replicaPaths(dataDir).state);
  try {
    const hash = createHash('sha256');
    let points = 0;
    for (const collection of sm.listCollections().sort((a, b) => a.name.localeCompare(b.name))) {
      hash.update(`collection ${collection.name}\n`);
      let afterId: string | undefined;
      for (;;) {
        const page = await sm.scroll({
          collection: collection.name,
          limit: PAGE,
          withVector: false,
          withMetadata: true,
          ...(afterId !== undefined && { afterId }),
        });
        for (const p of page.points) hash.update(`${p.id} ${JSON.stringify(p.metadata)}\n`);
        points += page.points.length;
        if (page.nextAfterId === undefined) break;
        afterId = page.nextAfterId;
      }
    }
    return {
      node,
      appliedIndex: sm.appliedIndex,
      digest: sm.appliedDigest.digest,
      contents: hash.digest('hex'),
      points,
    };
  } finally {
    await sm.close();
  }
}
