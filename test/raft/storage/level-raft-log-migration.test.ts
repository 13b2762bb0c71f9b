import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftLogStore } from '../../../src/raft/storage/raft-log-store.js';
import { encodeLogStart, seal, storageSchema } from '../../../src/raft/storage/log-start.js';
import { bootstrapMembership } from '../../../src/raft/membership.js';
import type { Entry, HardState } from '../../../src/raft/types.js';

const LogEntryMessage = storageSchema.lookupType('raftvec.v1.LogEntry');
const HardStateMessage = storageSchema.lookupType('raftvec.v1.HardState');

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const entry = (index: number, term: number): Entry => ({
  index,
  term,
  type: 'normal',
  data: new TextEncoder().encode(`e${index}`),
});
const membership = bootstrapMembership(['a', 'b', 'c'], (id) => `${id}:1`);
const hardState: HardState = { term: 4, vote: 'b', commit: 12 };

/** A Raft log as raftvec kept it in LevelDB before the segment files, key by key. */
async function writeLevelLog(entries: Entry[], start: { index: number; term: number }) {
  const dir = await mkdtemp(join(tmpdir(), 'raftvec-level-log-'));
  dirs.push(dir);
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  const state = HardStateMessage.create({ ...hardState, vote: hardState.vote ?? '' });
  await db.put(Buffer.from('h'), seal(HardStateMessage.encode(state).finish()));
  await db.put(Buffer.from('s'), encodeLogStart({ ...start, membership }));
  for (const e of entries) {
    const key = Buffer.alloc(9);
    key[0] = 0x65;
    key.writeBigUInt64BE(BigInt(e.index), 1);
    const message = LogEntryMessage.create({ index: e.index, term: e.term, type: 0, data: e.data });
    await db.put(key, seal(LogEntryMessage.encode(message).finish()));
  }
  await db.close();
  return dir;
}

const entries = [11, 12, 13, 14].map((i) => entry(i, i < 13 ? 3 : 4));

describe('a Raft log kept in LevelDB (before the segment files)', () => {
  it('is migrated on first load: the same log, then only segment files', async () => {
    const dir = await writeLevelLog(entries, { index: 10, term: 3 });
    const stored = await RaftLogStore.read(dir);
    expect(stored).toMatchObject({ hardState, snapshot: { index: 10, term: 3 }, membership });
    expect(stored.entries).toEqual(entries);
    const files = await readdir(dir);
    expect(files.filter((n) => n.startsWith('wal-'))).toEqual(['wal-0000000000000001.log']);
    expect(files).not.toContain('CURRENT');
    expect(files.filter((n) => /\.(ldb|sst)$|^MANIFEST/.test(n))).toEqual([]);

    // And it reads the same again, now from the segment files, and takes appends.
    const store = await RaftLogStore.open(dir);
    expect(await store.load()).toEqual(stored);
    await store.persist([entry(15, 4)], { ...hardState, commit: 15 }, true);
    await store.close();
    const after = await RaftLogStore.read(dir);
    expect(after.entries.map((e) => e.index)).toEqual([11, 12, 13, 14, 15]);
    expect(after.hardState.commit).toBe(15);
  });

  it('is migrated again after a crash before the new segment was renamed into place', async () => {
    const dir = await writeLevelLog(entries, { index: 10, term: 3 });
    // What a crash during the migration leaves: a partial temporary segment.
    await writeFile(join(dir, 'wal-0000000000000001.log.tmp'), Buffer.from('partial'));
    const stored = await RaftLogStore.read(dir);
    expect(stored.entries).toEqual(entries);
    expect(stored.hardState).toEqual(hardState);
  });
});
