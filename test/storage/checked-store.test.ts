/**
 * CheckedStore.flushToTables: every write made so far ends in LevelDB's (synced) table
 * files, none is left only in a log, and the records read back unchanged. Snapshots and
 * installs rely on it before the Raft log is compacted or reset.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckedStore } from '../../src/storage/checked-store.js';
import { levelLogBytes } from '../support/level-files.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const key = (i: number): Uint8Array => new TextEncoder().encode(`P${String(i).padStart(6, '0')}`);
const value = (i: number): Uint8Array => new Uint8Array(512).fill(i & 0xff);

describe('CheckedStore.flushToTables', () => {
  it('moves every unsynced write out of the log into tables, unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raftvec-checked-store-'));
    dirs.push(dir);
    const store = await CheckedStore.open(dir);
    try {
      for (let b = 0; b < 10; b++)
        await store.batch(
          Array.from({ length: 100 }, (_, k) => ({
            type: 'put' as const,
            key: key(b * 100 + k),
            value: value(b * 100 + k),
          })),
          false,
        );
      expect(await levelLogBytes(dir)).toBeGreaterThan(500_000);
      await store.flushToTables();
      expect(await levelLogBytes(dir)).toBe(0);
      expect([...(await store.get(key(0)))!]).toEqual([...value(0)]);
      expect([...(await store.get(key(999)))!]).toEqual([...value(999)]);
      let count = 0;
      for await (const entry of store.entries({})) {
        void entry;
        count++;
      }
      expect(count).toBe(1000);
    } finally {
      await store.close();
    }
  });
});
