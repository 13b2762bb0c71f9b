/**
 * An in-process raftvec node for API tests: real state machine (LevelDB in a
 * temp dir), real gRPC on 127.0.0.1 with a free port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, type NodeHandle, type NodeOptions } from '../../src/server/node.js';

export interface TestNode {
  node: NodeHandle;
  address: string;
  dataDir: string;
  /** Stops the node and removes its data dir. */
  close(): Promise<void>;
}

export async function startTestNode(options: Partial<NodeOptions> = {}): Promise<TestNode> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'raftvec-test-node-')));
  const errors: string[] = [];
  const node = await startNode({
    listen: '127.0.0.1:0',
    announce: false,
    log: (message, err) =>
      errors.push(`${message} ${err instanceof Error ? err.stack : (err ?? '')}`),
    ...options,
    dataDir,
  });
  return {
    node,
    address: node.address,
    dataDir,
    async close() {
      await node.stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
      if (errors.length > 0)
        process.stderr.write(`server log of ${node.address}:\n${errors.join('\n')}\n`);
    },
  };
}
