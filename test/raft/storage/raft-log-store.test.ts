import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftLogStore, type LogEntryRecord } from '../../../src/raft/storage/raft-log-store.js';
import { bootstrapMembership, encodeMembership } from '../../../src/raft/membership.js';

/** Opens the log at `dir` and reads it, as a node does at start. */
async function openLog(dir: string) {
  const store = await RaftLogStore.open(dir);
  return { store, state: await store.load() };
}

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'raftvec-log-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const entry = (index: number, term: number, text = `e${index}`): LogEntryRecord => ({
  index,
  term,
  type: 'normal',
  data: new TextEncoder().encode(text),
});

describe('RaftLogStore', () => {
  it('keeps the configuration at the log start (and from which index it is known), config entries, and the configuration with a compaction', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    expect(first.state.membership).toBeUndefined();
    const joined = bootstrapMembership(['a', 'b'], (id) => `${id}:1`);
    await first.store.recordMembership(joined, 7);
    const added = bootstrapMembership(['a', 'b', 'c'], (id) => `${id}:1`);
    await first.store.persist(
      [entry(1, 1), { index: 2, term: 1, type: 'config', data: encodeMembership(added) }],
      { term: 1, vote: undefined, commit: 2 },
      true,
    );
    await first.store.close();

    const second = await openLog(dir);
    expect(second.state).toMatchObject({ membership: joined, membershipFrom: 7 });
    expect(second.state.entries.map((e) => e.type)).toEqual(['normal', 'config']);
    await second.store.compact({ index: 2, term: 1, membership: added });
    await second.store.close();

    // Compacted where the configuration is known: known from the log start on.
    const third = await openLog(dir);
    expect(third.state).toMatchObject({ snapshot: { index: 2, term: 1 }, membership: added });
    expect(third.state.membershipFrom).toBeUndefined();
    await third.store.close();
  });

  it('starts empty with a zero hard state', async () => {
    const { store, state } = await openLog(await freshDir());
    expect(state.hardState).toEqual({ term: 0, vote: undefined, commit: 0 });
    expect(state.entries).toEqual([]);
    await store.close();
  });

  it('returns entries and hard state after reopening', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    await first.store.persist([entry(1, 1), { ...entry(2, 1), type: 'noop' }, entry(3, 2)], {
      term: 2,
      vote: 'n2',
      commit: 2,
    });
    await first.store.close();

    const { store, state } = await openLog(dir);
    expect(state.hardState).toEqual({ term: 2, vote: 'n2', commit: 2 });
    expect(state.entries.map((e) => [e.index, e.term, e.type])).toEqual([
      [1, 1, 'normal'],
      [2, 1, 'noop'],
      [3, 2, 'normal'],
    ]);
    expect(new TextDecoder().decode(state.entries[2]?.data)).toBe('e3');
    await store.close();
  });

  it('truncates the stored suffix when a conflicting entry is written', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    await first.store.persist([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)]);
    await first.store.persist([entry(3, 2, 'replacement')]);
    await first.store.close();

    const { store, state } = await openLog(dir);
    expect(state.entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(new TextDecoder().decode(state.entries[2]?.data)).toBe('replacement');
    await store.close();
  });

  it('refuses to open a log whose entry fails its checksum', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    await first.store.persist([entry(1, 1), entry(2, 1)]);
    await first.store.close();

    const raw = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const key = Buffer.from([0x65, 0, 0, 0, 0, 0, 0, 0, 2]);
    const value = await raw.get(key);
    expect(value).toBeDefined();
    const flipped = Buffer.from(value as Buffer);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 0xff, flipped.length - 1);
    await raw.put(key, flipped);
    await raw.close();

    const reopened = await RaftLogStore.open(dir);
    await expect(reopened.load()).rejects.toThrow(/checksum/);
    await reopened.close();
  });

  it('compacts a prefix: the log starts after the snapshot point, also after reopening', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    await first.store.persist([1, 2, 3, 4, 5].map((i) => entry(i, i < 4 ? 1 : 2)));
    await first.store.compact({ index: 3, term: 1 });
    await first.store.persist([entry(6, 2)]);
    await first.store.close();

    const { store, state } = await openLog(dir);
    expect(state.snapshot).toEqual({ index: 3, term: 1 });
    expect(state.entries.map((e) => e.index)).toEqual([4, 5, 6]);
    // Compacting again past the stored entries moves the start only.
    await store.compact({ index: 5, term: 2 });
    await store.close();
    const again = await openLog(dir);
    expect(again.state.snapshot).toEqual({ index: 5, term: 2 });
    expect(again.state.entries.map((e) => e.index)).toEqual([6]);
    await again.store.close();
  });

  it('resets to a snapshot point: no entries, then appends continue after it', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    await first.store.persist([entry(1, 1), entry(2, 1)]);
    await first.store.resetTo({ index: 40, term: 3 });
    await first.store.persist([entry(41, 3)]);
    await first.store.close();
    const { store, state } = await openLog(dir);
    expect(state.snapshot).toEqual({ index: 40, term: 3 });
    expect(state.entries.map((e) => [e.index, e.term])).toEqual([[41, 3]]);
    await store.close();
  });

  it('refuses a log whose first entry does not follow its snapshot point', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    await first.store.persist([entry(1, 1), entry(2, 1), entry(3, 1)]);
    await first.store.close();
    const raw = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await raw.del(Buffer.from([0x65, 0, 0, 0, 0, 0, 0, 0, 2]));
    await raw.close();
    const reopened = await RaftLogStore.open(dir);
    await expect(reopened.load()).rejects.toThrow(/expected 2/);
    await reopened.close();
  });
});
