import {
  appendFile,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RaftLogStore,
  type LogEntryRecord,
  type RaftLogStoreOptions,
} from '../../../src/raft/storage/raft-log-store.js';
import { encodeRecord } from '../../../src/raft/storage/wal-record.js';
import { bootstrapMembership, encodeMembership } from '../../../src/raft/membership.js';

/** Opens the log at `dir` and reads it, as a node does at start. */
async function openLog(dir: string, options?: RaftLogStoreOptions) {
  const store = await RaftLogStore.open(dir, options);
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

const segments = async (dir: string) =>
  (await readdir(dir)).filter((n) => /^wal-\d{16}\.log$/.test(n)).sort();
const newestSegment = async (dir: string) => join(dir, (await segments(dir)).at(-1)!);

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
    expect(third.state.hardState).toEqual({ term: 1, vote: undefined, commit: 2 });
    await third.store.close();
  });

  it('starts empty with a zero hard state', async () => {
    const { store, state } = await openLog(await freshDir());
    expect(state.hardState).toEqual({ term: 0, vote: undefined, commit: 0 });
    expect(state.entries).toEqual([]);
    await store.close();
  });

  it('returns entries and hard state after reopening, the last hard state written winning', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    await first.store.persist([entry(1, 1), { ...entry(2, 1), type: 'noop' }, entry(3, 2)], {
      term: 2,
      vote: 'n2',
      commit: 1,
    });
    await first.store.persist([], { term: 2, vote: 'n2', commit: 2 }, false);
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

  it('writes a commit-index-only change with the next record, or at close, not on its own', async () => {
    const dir = await freshDir();
    const { store } = await openLog(dir);
    await store.persist([entry(1, 1)], { term: 1, vote: 'a', commit: 0 });
    const size = (await stat(await newestSegment(dir))).size;
    await store.persist([], { term: 1, vote: 'a', commit: 1 }, false);
    expect((await stat(await newestSegment(dir))).size).toBe(size);
    // A crash now loses it, as the port allows: the last written hard state is read.
    expect((await RaftLogStore.read(dir)).hardState.commit).toBe(0);
    await store.persist([entry(2, 1)]);
    expect((await RaftLogStore.read(dir)).hardState).toEqual({ term: 1, vote: 'a', commit: 1 });
    await store.persist([], { term: 1, vote: 'a', commit: 2 }, false);
    await store.close();
    expect((await RaftLogStore.read(dir)).hardState.commit).toBe(2);
  });

  it('truncates the stored suffix when a conflicting entry is written, also across segments', async () => {
    const dir = await freshDir();
    const first = await openLog(dir, { segmentBytes: 1 });
    await first.store.persist([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)]);
    await first.store.persist([entry(5, 1)]);
    await first.store.persist([entry(3, 2, 'replacement')]);
    await first.store.close();
    expect((await segments(dir)).length).toBeGreaterThanOrEqual(3);

    const { store, state } = await openLog(dir, { segmentBytes: 1 });
    expect(state.entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(new TextDecoder().decode(state.entries[2]?.data)).toBe('replacement');
    await store.close();
  });

  it('refuses entries that leave a gap or rewrite the compacted prefix, writing nothing', async () => {
    const dir = await freshDir();
    const { store } = await openLog(dir);
    await store.persist([entry(1, 1), entry(2, 1), entry(3, 1)]);
    await store.compact({ index: 2, term: 1 });
    await expect(store.persist([entry(5, 1)])).rejects.toThrow(/do not fit/);
    await expect(store.persist([entry(2, 2)])).rejects.toThrow(/do not fit/);
    await expect(store.persist([entry(4, 1), entry(6, 1)])).rejects.toThrow(/skip/);
    await store.persist([entry(4, 1)]);
    await store.close();
    const again = await openLog(dir);
    expect(again.state.entries.map((e) => e.index)).toEqual([3, 4]);
    await again.store.close();
  });

  it('refuses to open a log whose synced record was damaged', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    await first.store.persist([entry(1, 1, 'x'.repeat(100))]);
    await first.store.persist([entry(2, 1)]);
    await first.store.close();

    const file = await newestSegment(dir);
    const bytes = await readFile(file);
    const at = bytes.indexOf('x'.repeat(100));
    bytes.writeUInt8(bytes.readUInt8(at + 50) ^ 0xff, at + 50);
    await writeFile(file, bytes);

    const reopened = await RaftLogStore.open(dir);
    await expect(reopened.load()).rejects.toThrow(/fails its checksum, and sound records follow/);
    await reopened.close();
  });

  it('drops a torn write at the tail (a crash before its sync) and appends after what is sound', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    await first.store.persist([entry(1, 1), entry(2, 1)], { term: 1, vote: 'a', commit: 0 });
    await first.store.close();
    const file = await newestSegment(dir);
    const sound = (await stat(file)).size;
    // Half of a third record made it to disk.
    const record = encodeRecord([entry(3, 1, 'y'.repeat(64))], undefined);
    await appendFile(file, record.subarray(0, record.length / 2));

    const second = await openLog(dir);
    expect(second.state.entries.map((e) => e.index)).toEqual([1, 2]);
    expect((await stat(file)).size).toBe(sound);
    await second.store.persist([entry(3, 1)]);
    await second.store.close();

    const third = await openLog(dir);
    expect(third.state.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(third.state.hardState).toEqual({ term: 1, vote: 'a', commit: 0 });
    await third.store.close();
  });

  it('refuses a log whose older segment was damaged or is missing', async () => {
    const dir = await freshDir();
    const first = await openLog(dir, { segmentBytes: 1 });
    for (let i = 1; i <= 4; i++) await first.store.persist([entry(i, 1)]);
    await first.store.close();
    const names = await segments(dir);
    expect(names.length).toBeGreaterThanOrEqual(4);

    await truncate(join(dir, names[1]!), (await stat(join(dir, names[1]!))).size - 1);
    const torn = await RaftLogStore.open(dir);
    await expect(torn.load()).rejects.toThrow(/fails its checksum/);
    await torn.close();

    await rm(join(dir, names[1]!));
    const gap = await RaftLogStore.open(dir);
    await expect(gap.load()).rejects.toThrow(/is missing/);
    await gap.close();
  });

  it('compacts a prefix: whole segments go, the log starts after the snapshot point, the hard state stays', async () => {
    const dir = await freshDir();
    const first = await openLog(dir, { segmentBytes: 1 });
    await first.store.persist([entry(1, 1)], { term: 1, vote: 'b', commit: 0 });
    for (let i = 2; i <= 5; i++) await first.store.persist([entry(i, i < 4 ? 1 : 2)]);
    const before = await segments(dir);
    await first.store.compact({ index: 3, term: 1 });
    const after = await segments(dir);
    expect(after.length).toBeLessThan(before.length);
    await first.store.persist([entry(6, 2)]);
    await first.store.close();

    const { store, state } = await openLog(dir);
    expect(state.snapshot).toEqual({ index: 3, term: 1 });
    expect(state.entries.map((e) => e.index)).toEqual([4, 5, 6]);
    // The segment that recorded the vote is gone; each segment starts with the hard state.
    expect(state.hardState).toEqual({ term: 1, vote: 'b', commit: 0 });
    // Compacting past the stored entries moves the start only.
    await store.compact({ index: 5, term: 2 });
    await store.close();
    const again = await openLog(dir);
    expect(again.state.snapshot).toEqual({ index: 5, term: 2 });
    expect(again.state.entries.map((e) => e.index)).toEqual([6]);
    await again.store.close();
  });

  it('resets to a snapshot point: no entries, the old segments ignored even if they linger', async () => {
    const dir = await freshDir();
    const first = await openLog(dir);
    await first.store.persist([entry(1, 1), entry(2, 1)], { term: 3, vote: 'c', commit: 2 });
    const oldName = (await segments(dir))[0]!;
    const oldBytes = await readFile(join(dir, oldName));
    await first.store.resetTo({ index: 40, term: 3 });
    await first.store.persist([entry(41, 3)]);
    await first.store.close();
    expect(await segments(dir)).not.toContain(oldName);

    // As if the process died after the new log start was durable, before the removal.
    await writeFile(join(dir, oldName), oldBytes);
    const { store, state } = await openLog(dir);
    expect(state.snapshot).toEqual({ index: 40, term: 3 });
    expect(state.entries.map((e) => [e.index, e.term])).toEqual([[41, 3]]);
    expect(state.hardState).toEqual({ term: 3, vote: 'c', commit: 2 });
    expect(await segments(dir)).not.toContain(oldName);
    await store.close();
  });

  it('refuses a log whose first entry does not follow its snapshot point', async () => {
    const dir = await freshDir();
    const first = await openLog(dir, { segmentBytes: 1 });
    await first.store.persist([entry(1, 1)]);
    await first.store.persist([entry(2, 1)]);
    await first.store.persist([entry(3, 1)]);
    await first.store.close();
    // Entry 2's segment is gone and the next one renumbered, as a careless hand would.
    const names = await segments(dir);
    const bytes = await readFile(join(dir, names.at(-1)!));
    await rm(join(dir, names.at(-1)!));
    await writeFile(join(dir, names.at(-2)!), bytes);
    const reopened = await RaftLogStore.open(dir);
    await expect(reopened.load()).rejects.toThrow(/expected 2/);
    await reopened.close();
  });
});
