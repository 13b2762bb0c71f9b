/**
 * The segment-file Raft log under real SIGKILLs: a child process appends synced
 * records (test/support/log-writer.mjs) and reports each one it was told is durable;
 * it is killed at a random moment, several times over, and every reported entry must
 * read back intact, with no gap, and appends must go on after it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RaftLogStore } from '../../../src/raft/storage/raft-log-store.js';
import { assertBuilt, repoRoot } from '../../support/processes.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Runs the writer until it has reported `acks` more durable batches, then SIGKILLs it. */
function writeUntilKilled(dir: string, acks: number): Promise<number> {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'test/support/log-writer.mjs'), dir, String(256 * 1024)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let seen = 0;
    let lastAcked = 0;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        lastAcked = Number(line);
        if (++seen === acks) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(lastAcked);
      else reject(new Error(`the writer exited (${code}) before it was killed: ${stderr}`));
    });
  });
}

describe('RaftLogStore killed with SIGKILL while appending', () => {
  it('keeps every entry it reported durable, over many kills and segment changes', async () => {
    assertBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'raftvec-log-kill-'));
    dirs.push(dir);
    let acked = 0;
    for (let round = 0; round < 6; round++) {
      acked = Math.max(acked, await writeUntilKilled(dir, 20 + round * 7));
      const stored = await RaftLogStore.read(dir);
      const indexes = stored.entries.map((e) => e.index);
      expect(indexes.length).toBeGreaterThanOrEqual(acked);
      expect(indexes).toEqual(Array.from({ length: indexes.length }, (_, i) => i + 1));
      for (const e of stored.entries) {
        expect(
          e.data.every((b) => b === e.index % 251),
          `entry ${e.index}`,
        ).toBe(true);
      }
      expect(stored.hardState.term).toBe(1);
      acked = indexes.length;
    }
  }, 120_000);
});
