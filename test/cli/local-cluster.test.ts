/**
 * The local cluster (demo) recognises its own nodes: a pid recorded by an earlier run
 * may belong to another process by now, which stop must neither signal nor wait for.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isNodeRunning, type LocalNode } from '../../src/cli/local-cluster.js';

const node = (pid: number, dataDir: string): LocalNode => ({
  id: 'n1',
  address: '127.0.0.1:1',
  dataDir,
  logFile: '/dev/null',
  pid,
});

describe('isNodeRunning', () => {
  it('is false for no pid, and for a live process that is not this node’s serve', () => {
    expect(isNodeRunning(node(0, '/tmp/n1'))).toBe(false);
    // This test process is alive, but it is no `serve --data /tmp/n1`.
    expect(isNodeRunning(node(process.pid, '/tmp/n1'))).toBe(false);
  });

  it('is true for a process whose command line is serve with this data dir', async () => {
    const child = spawn(
      process.execPath,
      ['-e', 'setTimeout(() => {}, 30000)', 'serve', '--data', '/tmp/raftvec-n1'],
      { stdio: 'ignore' },
    );
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      expect(isNodeRunning(node(child.pid!, '/tmp/raftvec-n1'))).toBe(true);
      expect(isNodeRunning(node(child.pid!, '/tmp/raftvec-n2'))).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
