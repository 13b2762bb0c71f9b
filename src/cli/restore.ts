/**
 * `raftvec snapshot restore`: builds the data directory of one member of a NEW cluster
 * from a snapshot folder (`<data>/snapshots/<index>/`, as `raftvec snapshot` makes every
 * node write), like `etcdutl snapshot restore`. Run once per member of the new cluster,
 * with the same snapshot folder and the same --peers for each; then start each member
 * with `raftvec serve --data DIR --id ID --peers (the same list)`.
 *
 * What it writes, in this order (so that a crash part-way leaves a directory that
 * `serve` refuses, never one it would start from wrongly):
 *
 * 1. `DIR/snapshots/<index>/`: a copy of the snapshot, every file checked against the
 *    SHA-256 in its meta.json first (a damaged or partial snapshot is refused, naming
 *    the file). It stays as the member's local snapshot: a leader of the new cluster
 *    sends it to a follower that needs one.
 * 2. `DIR/state` (and `DIR/index-checkpoints`): the state installed from that copy by
 *    ReplicaState.installSnapshot, the very code a follower runs when it installs a
 *    snapshot from its leader (record checksums checked as they are imported, the
 *    applied index and digest checked once it reads back).
 * 3. `DIR/raft`: a Raft log that holds no entry and starts after the snapshot (its
 *    snapshot point is (index, RESTORED_TERM)), with the configuration at that point
 *    set to --peers, every one a voter: the old cluster's membership is not carried
 *    over (etcd's restore rewrites it too). Hard state: term RESTORED_TERM, no vote,
 *    commit = the snapshot index. This is RaftLogStore.resetTo, as a follower's log is
 *    reset when it installs a snapshot that its log does not continue.
 *
 * Why that is safe: members restored from the same snapshot with the same --peers hold
 * exactly the same thing — the same committed prefix (the snapshot, applied), the same
 * log start (index, term) and the same configuration there — which is what a Raft
 * cluster whose log was compacted up to that point looks like. No member voted in any
 * term yet, so the first election (term RESTORED_TERM + 1) is an ordinary one among the
 * new voters; a member's stored configuration wins over a later --peers, so the old
 * cluster's members can never be counted in a quorum of the new one.
 */
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bootstrapMembership, type Membership } from '../raft/membership.js';
import { SNAPSHOT_META_FILE } from '../raft/runtime/snapshot-transfer.js';
import { RaftLogStore } from '../raft/storage/raft-log-store.js';
import { ReplicaState, replicaPaths } from '../storage/replica-state.js';
import { readMeta, verifySnapshot, type SnapshotMeta } from '../storage/state-snapshot.js';
import { CliError, UsageError } from './errors.js';

/**
 * The term of the restored log start and of every restored member's hard state. The
 * new cluster's terms have nothing to do with the old one's (its logs, votes and
 * members are new), so one fixed term on every member is all that is needed: the
 * members agree on the term of the last entry of the common prefix.
 */
export const RESTORED_TERM = 1;

/** Entries a fresh volume may hold that are not data (an ext4 volume's root). */
const NOT_DATA = new Set(['lost+found']);

export interface RestoreOptions {
  /** The snapshot folder: `<data>/snapshots/<index>` of a node of the old cluster. */
  from: string;
  /** The new member's data directory: missing or empty. */
  dataDir: string;
  /** The new member's id (must be in `peers`). */
  id: string;
  /** Every voter of the new cluster: id → peer address (HOST:PORT). */
  peers: ReadonlyMap<string, string>;
}

export interface RestoreResult {
  dataDir: string;
  id: string;
  snapshot: { from: string; index: number; digest: string; files: number; bytes: number };
  log: { startsAfter: number; term: number; vote: null; commit: number };
  members: Array<{ id: string; role: string; peerAddress: string }>;
  collections: Array<{ name: string; points: number }>;
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Checks the snapshot folder and every file in it against its meta.json. */
async function verifiedSnapshot(from: string): Promise<SnapshotMeta> {
  const st = await stat(from).catch(() => undefined);
  if (st === undefined) throw new UsageError(`--from ${from}: no such folder`);
  if (!st.isDirectory()) throw new UsageError(`--from ${from} is not a folder`);
  if (!(await exists(join(from, SNAPSHOT_META_FILE)))) {
    const names = await readdir(from).catch(() => [] as string[]);
    const hint = names.includes('snapshots')
      ? ` (it looks like a data directory: give one of its snapshots, ${join(from, 'snapshots', '<index>')})`
      : names.some((n) => /^\d+$/.test(n))
        ? ` (it looks like a snapshots folder: give one of ${names
            .filter((n) => /^\d+$/.test(n))
            .map((n) => join(from, n))
            .join(', ')})`
        : '';
    throw new UsageError(
      `--from ${from} is not a snapshot folder: it has no ${SNAPSHOT_META_FILE}${hint}`,
    );
  }
  try {
    await readMeta(from);
  } catch (err) {
    throw new CliError(
      `--from ${from}: ${SNAPSHOT_META_FILE} is damaged or not a raftvec snapshot description (${(err as Error).message}); refusing to restore from it`,
    );
  }
  try {
    return await verifySnapshot(from, 'contents');
  } catch (err) {
    throw new CliError(
      `--from ${from}: ${(err as Error).message} (its size or SHA-256 differs from ${SNAPSHOT_META_FILE}); refusing to restore from a damaged or partial snapshot`,
    );
  }
}

/** Refuses a --data that holds anything; creates it if missing. */
async function emptyDataDir(dataDir: string): Promise<void> {
  const st = await stat(dataDir).catch(() => undefined);
  if (st !== undefined) {
    if (!st.isDirectory()) throw new UsageError(`--data ${dataDir} exists and is not a folder`);
    const held = (await readdir(dataDir)).filter((n) => !NOT_DATA.has(n));
    if (held.length > 0)
      throw new UsageError(
        `--data ${dataDir} already holds data (${held.slice(0, 5).join(', ')}${held.length > 5 ? ', …' : ''}): restore only into a new or empty folder`,
      );
  }
  await mkdir(dataDir, { recursive: true });
}

/** Builds the data directory of one member of a new cluster from a snapshot. */
export async function restoreSnapshot(options: RestoreOptions): Promise<RestoreResult> {
  const from = resolve(options.from);
  const dataDir = resolve(options.dataDir);
  if (!options.peers.has(options.id))
    throw new UsageError(`--peers must list this member too (--id ${options.id})`);
  const meta = await verifiedSnapshot(from);
  if (meta.index < 1) throw new CliError(`--from ${from}: snapshot at index ${meta.index}`);
  if (dataDir === from || dataDir.startsWith(`${from}/`) || from.startsWith(`${dataDir}/`))
    throw new UsageError('--data and --from must not lie inside one another');
  await emptyDataDir(dataDir);
  try {
    return await restoreInto(dataDir, from, meta, options);
  } catch (err) {
    // The folder was new or empty: leave it so again, for another try.
    await discardRestore(dataDir).catch(() => undefined);
    throw err;
  }
}

async function restoreInto(
  dataDir: string,
  from: string,
  meta: SnapshotMeta,
  options: RestoreOptions,
): Promise<RestoreResult> {
  const paths = replicaPaths(dataDir);

  // 1. The snapshot, copied as this member's own (renamed into place once whole).
  await mkdir(paths.snapshots, { recursive: true });
  const copy = join(paths.snapshots, String(meta.index));
  const partial = join(paths.snapshots, `.tmp-restore-${process.pid}`);
  await cp(from, partial, { recursive: true, errorOnExist: true, force: false });
  await rename(partial, copy);

  // 2. The state, installed from it as a follower installs a snapshot.
  const replica = await ReplicaState.open(paths, {
    sync: true,
    checkpoints: { dir: paths.checkpoints },
  });
  let collections: RestoreResult['collections'];
  try {
    await replica.installSnapshot(copy);
    collections = replica.listCollections().map((c) => ({ name: c.name, points: c.pointCount }));
  } finally {
    await replica.close();
  }

  // 3. The Raft log: empty, starting after the snapshot, with the new configuration.
  const membership: Membership = bootstrapMembership(
    [...options.peers.keys()],
    (id) => options.peers.get(id) ?? '',
  );
  const point = { index: meta.index, term: RESTORED_TERM, membership };
  const log = await RaftLogStore.open(join(dataDir, 'raft'));
  try {
    const stored = await log.load();
    if (stored.entries.length > 0 || stored.snapshot !== undefined || stored.hardState.term > 0)
      throw new CliError(`--data ${dataDir}: a Raft log appeared there while restoring`);
    await log.resetTo(point);
    await log.persist([], { term: RESTORED_TERM, vote: undefined, commit: meta.index });
  } finally {
    await log.close();
  }
  // Read back as `serve` will.
  const check = await RaftLogStore.open(join(dataDir, 'raft'));
  try {
    const back = await check.load();
    if (
      back.snapshot?.index !== meta.index ||
      back.snapshot.term !== RESTORED_TERM ||
      back.membership === undefined ||
      back.entries.length > 0 ||
      back.hardState.vote !== undefined
    )
      throw new CliError(`--data ${dataDir}: the restored Raft log does not read back as written`);
  } finally {
    await check.close();
  }
  return {
    dataDir,
    id: options.id,
    snapshot: {
      from,
      index: meta.index,
      digest: meta.digest,
      files: meta.files.length,
      bytes: meta.files.reduce((sum, f) => sum + f.bytes, 0),
    },
    log: { startsAfter: meta.index, term: RESTORED_TERM, vote: null, commit: meta.index },
    members: membership.members.map((m) => ({
      id: m.id,
      role: m.role,
      peerAddress: m.peerAddress,
    })),
    collections,
  };
}

/** Removes what a failed restore wrote (into a folder it found new or empty). */
async function discardRestore(dataDir: string): Promise<void> {
  for (const name of await readdir(dataDir))
    if (!NOT_DATA.has(name)) await rm(join(dataDir, name), { recursive: true, force: true });
}
