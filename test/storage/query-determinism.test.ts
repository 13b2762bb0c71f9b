/**
 * Acceptance: two replicas that apply the same log answer every filtered query
 * identically. A seeded random log (collections with Flat and HNSW32 indexes; upserts
 * with varied metadata, deletes, deletes by filter, payload updates of every kind by ids
 * and by filter, payload index creations and drops, and entries that are refused) is
 * applied to three replicas: one entry per call; in random-sized groups with
 * checkpoints and two restarts; in random-sized groups with a restart that rebuilds
 * everything from the store. At three points of the log, many random queries (searches
 * with filters, k, thresholds, queries by id and metadata keys; counts; scroll pages;
 * gets) must get the same answers from all three: ids, scores, vectors, metadata (its
 * key order too), order, errors.
 *
 * A replica that restarted rebuilds its HNSW graphs in key order, so its approximate
 * searches may differ: for HNSW collections only searches with a filter are compared,
 * which at these sizes (far below FILTER_EXACT_THRESHOLD matches) are exact.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  ApplyResult,
  Command,
  Condition,
  Filter,
  JsonValue,
  Metadata,
  Metric,
  PayloadIndexType,
  PayloadUpdate,
  Scalar,
  SearchQuery,
  SearchTarget,
  StoredPoint,
} from '../../src/domain.js';
import { FILTER_EXACT_THRESHOLD } from '../../src/index/collection-index.js';
import { encodeCommand } from '../../src/storage/command-codec.js';
import type { LoadProgress, VectorStateMachine } from '../../src/storage/state-machine.js';
import { mulberry32 } from '../support/random.js';
import { applyAll, create, expectedIds, scrollAll, upsert } from '../support/sm-commands.js';
import { stateMachineFixture } from '../support/state-machines.js';

const { tempDir, openSm, closeSm } = stateMachineFixture('query-determinism');

const DIM = 6;

type Rng = () => number;
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const chance = (r: Rng, p: number): boolean => r() < p;
const some = <T>(r: Rng, items: readonly T[], lo: number, hi: number): T[] =>
  Array.from({ length: int(r, lo, hi) }, () => pick(r, items));
const randomVector = (r: Rng): Float32Array =>
  Float32Array.from({ length: DIM }, () => r() * 2 - 1);

interface CollectionDef {
  name: string;
  metric: Metric;
  indexSpec: string;
}

const COLLECTIONS: CollectionDef[] = [
  { name: 'flat', metric: 'l2', indexSpec: 'Flat' },
  { name: 'hnsw', metric: 'cosine', indexSpec: 'HNSW32' },
  { name: 'hnswl2', metric: 'l2', indexSpec: 'HNSW32' },
  { name: 'flatip', metric: 'ip', indexSpec: 'Flat' },
];
/** `flatip` is dropped and created again as this, part-way through the log. */
const RECREATED: CollectionDef = { name: 'flatip', metric: 'ip', indexSpec: 'HNSW32' };

// ------------------------------------------------------------------ random metadata

const TAGS = ['red', 'green', 'blue', 'Red', '', 'ünï', '7'];
const NAMES = ['ann', 'bob', 'cy', 'dee'];
const DATES = [
  '2024-01-15',
  '2024-03-01T12:00:00Z',
  '2024-03-01T14:00:00+02:00', // the same instant as the one above
  '2024-05-20 08:30',
  '2024-07-04T23:59:59.999999Z',
  '2023-12-31T23:00:00-01:00',
  '2025-02-28T00:00:00z',
  'not a date',
  '2024-02-30',
];
const ID_POOL = [
  ...Array.from({ length: 220 }, (_, i) => `pt-${String(i).padStart(3, '0')}`),
  'Ärger',
  'é',
  '\uff61x',
  '\u{1f600}y',
  'a b',
  'Z',
];
const KEYS = [
  'n',
  'price',
  'tag',
  'flag',
  'at',
  'tags',
  'nums',
  'author',
  'author.name',
  'author.age',
  'author.langs',
  'items',
  'items.name',
  'items.price',
  'maybe',
  'missing',
  'deep.a.b',
];
const INDEX_KEYS: Array<[string, PayloadIndexType[]]> = [
  ['n', ['integer', 'float', 'keyword']],
  ['price', ['float', 'integer']],
  ['tag', ['keyword', 'integer', 'bool']],
  ['flag', ['bool', 'keyword']],
  ['at', ['datetime', 'keyword']],
  ['tags', ['keyword']],
  ['nums', ['integer', 'float']],
  ['author.name', ['keyword']],
  ['author.age', ['integer']],
  ['items.price', ['float', 'integer']],
  ['items.name', ['keyword', 'datetime']],
];

function randomScalar(r: Rng): Scalar {
  switch (int(r, 0, 5)) {
    case 0:
      return int(r, -2, 40);
    case 1:
      return Math.round(r() * 1000) / 100;
    case 2:
      return pick(r, TAGS);
    case 3:
      return chance(r, 0.5);
    case 4:
      return pick(r, DATES);
    default:
      return pick(r, NAMES);
  }
}

function randomMetadata(r: Rng): Metadata {
  const m: Metadata = {};
  if (chance(r, 0.85)) m.n = chance(r, 0.15) ? int(r, 0, 400) / 10 : int(r, 0, 40);
  if (chance(r, 0.6)) m.price = Math.round(r() * 10_000) / 100;
  if (chance(r, 0.8)) {
    const v = r();
    m.tag =
      v < 0.1 ? some(r, TAGS, 0, 3) : v < 0.15 ? null : v < 0.2 ? int(r, 0, 5) : pick(r, TAGS);
  }
  if (chance(r, 0.6)) m.flag = chance(r, 0.5);
  if (chance(r, 0.6)) m.at = chance(r, 0.1) ? some(r, DATES, 1, 2) : pick(r, DATES);
  if (chance(r, 0.5)) m.tags = some(r, TAGS, 0, 3);
  if (chance(r, 0.4)) m.nums = Array.from({ length: int(r, 0, 4) }, () => int(r, -5, 20));
  if (chance(r, 0.5)) {
    const author: { [key: string]: JsonValue } = { name: pick(r, NAMES) };
    if (chance(r, 0.7)) author.age = int(r, 18, 80);
    if (chance(r, 0.5)) author.langs = some(r, ['en', 'fr', 'de'], 0, 2);
    m.author = author;
  }
  if (chance(r, 0.3))
    m.items = Array.from({ length: int(r, 0, 3) }, () =>
      chance(r, 0.8)
        ? { name: pick(r, NAMES), price: Math.round(r() * 500) / 10 }
        : pick<JsonValue>(r, [null, 3, 'loose']),
    );
  if (chance(r, 0.1)) m.maybe = null;
  if (chance(r, 0.05)) m.deep = { a: { b: randomScalar(r) } };
  return m;
}

// ------------------------------------------------------------------ random filters

function randomCondition(r: Rng, depth: number): Condition {
  const key = pick(r, KEYS);
  const v = r();
  if (v < 0.2) return { key, equals: randomScalar(r) };
  if (v < 0.32) return { key, in: Array.from({ length: int(r, 1, 4) }, () => randomScalar(r)) };
  if (v < 0.38) return { key, notIn: Array.from({ length: int(r, 1, 3) }, () => randomScalar(r)) };
  if (v < 0.55) {
    const range: Record<string, number> = {};
    for (const bound of ['gt', 'gte', 'lt', 'lte'])
      if (chance(r, 0.4)) range[bound] = int(r, -5, 60) / (chance(r, 0.3) ? 2 : 1);
    if (Object.keys(range).length === 0) range.gte = int(r, 0, 30);
    return { key: pick(r, ['n', 'price', 'nums', 'author.age', 'items.price', 'tag']), range };
  }
  if (v < 0.65) {
    const range: Record<string, string> = {};
    const valid = DATES.slice(0, 7);
    for (const bound of ['gt', 'gte', 'lt', 'lte'])
      if (chance(r, 0.4)) range[bound] = pick(r, valid);
    if (Object.keys(range).length === 0) range.lt = pick(r, valid);
    return { key: pick(r, ['at', 'at', 'items.name', 'tag']), datetimeRange: range };
  }
  if (v < 0.7) return { key, isNull: true };
  if (v < 0.75) return { key, isEmpty: true };
  if (v < 0.82) return { key, exists: true };
  if (v < 0.9) return { hasId: some(r, ID_POOL, 1, 6) };
  if (depth < 3) return { filter: randomFilter(r, depth + 1) };
  return { key: 'n', range: { lt: int(r, 0, 40) } };
}

function randomFilter(r: Rng, depth = 1): Filter {
  const filter: Filter = {};
  const must = int(r, 0, 2);
  const should = chance(r, 0.4) ? int(r, 1, 3) : 0;
  const mustNot = chance(r, 0.3) ? 1 : 0;
  if (must > 0) filter.must = Array.from({ length: must }, () => randomCondition(r, depth));
  if (should > 0) {
    filter.should = Array.from({ length: should }, () => randomCondition(r, depth));
    if (chance(r, 0.3)) filter.minShould = int(r, 1, should);
  }
  if (mustNot > 0) filter.mustNot = [randomCondition(r, depth)];
  return filter;
}

/** A filter with at least one condition (an HNSW search with it is exact at these sizes). */
function nonEmptyFilter(r: Rng): Filter {
  const filter = randomFilter(r);
  if ((filter.must?.length ?? 0) + (filter.should?.length ?? 0) + (filter.mustNot?.length ?? 0) > 0)
    return filter;
  return { must: [randomCondition(r, 1)] };
}

// ------------------------------------------------------------------ the log

interface LogEntry {
  what: string;
  payload: Uint8Array;
}

function randomUpdate(r: Rng): PayloadUpdate {
  const v = r();
  if (v < 0.45) {
    const payload = randomMetadata(r);
    if (Object.keys(payload).length === 0) payload.n = int(r, 0, 40);
    // set replaces top-level keys only: a few of them.
    const keys = Object.keys(payload).filter(() => chance(r, 0.5));
    return { op: 'set', payload: Object.fromEntries(keys.map((k) => [k, payload[k]!])) };
  }
  if (v < 0.7) return { op: 'overwrite', payload: randomMetadata(r) };
  return { op: 'deleteKeys', keys: some(r, KEYS, 1, 3) };
}

function buildLog(seed: number, length: number): LogEntry[] {
  const r = mulberry32(seed);
  const log: LogEntry[] = [];
  const push = (what: string, command: Command | Uint8Array) =>
    log.push({ what, payload: command instanceof Uint8Array ? command : encodeCommand(command) });
  for (const c of COLLECTIONS) push(`create ${c.name}`, create(c.name, DIM, c.metric, c.indexSpec));
  while (log.length < length) {
    const collection = pick(r, COLLECTIONS).name;
    const v = r();
    if (log.length === Math.floor(length / 3)) {
      push('drop flatip', { kind: 'dropCollection', name: 'flatip' });
      push(
        'create flatip again',
        create(RECREATED.name, DIM, RECREATED.metric, RECREATED.indexSpec),
      );
    } else if (v < 0.36) {
      const ids = [...new Set(some(r, ID_POOL, 1, 25))];
      const points = ids.map((id) => ({
        id,
        vector: randomVector(r),
        metadata: randomMetadata(r),
      }));
      push(`upsert ${collection} ×${points.length}`, upsert(collection, points));
    } else if (v < 0.42) {
      push(`delete ${collection}`, { kind: 'delete', collection, ids: some(r, ID_POOL, 1, 8) });
    } else if (v < 0.46) {
      // Narrow filters mostly, so that the collections do not empty.
      const filter: Filter = chance(r, 0.5)
        ? { must: [{ key: 'n', equals: int(r, 0, 40) }, randomCondition(r, 1)] }
        : { must: [randomCondition(r, 1)], mustNot: [{ key: 'flag', equals: true }] };
      push(`deleteByFilter ${collection}`, { kind: 'deleteByFilter', collection, filter });
    } else if (v < 0.64) {
      const ids = some(r, ID_POOL.slice(0, 60), 1, 3);
      push(`update ${collection} by ids`, {
        kind: 'updatePayload',
        collection,
        points: { ids },
        update: randomUpdate(r),
      });
    } else if (v < 0.8) {
      push(`update ${collection} by filter`, {
        kind: 'updatePayload',
        collection,
        points: { filter: randomFilter(r) },
        update: randomUpdate(r),
      });
    } else if (v < 0.89) {
      const [key, types] = pick(r, INDEX_KEYS);
      push(`index ${collection} ${key}`, {
        kind: 'createPayloadIndex',
        collection,
        index: { key, type: pick(r, types) },
      });
    } else if (v < 0.93) {
      push(`drop index ${collection}`, {
        kind: 'dropPayloadIndex',
        collection,
        key: pick(r, INDEX_KEYS)[0],
      });
    } else if (v < 0.95) {
      push('noop', new Uint8Array(0));
    } else if (v < 0.97) {
      push(`bad filter ${collection}`, {
        kind: 'deleteByFilter',
        collection,
        filter: { must: [{ key: '', equals: 1 }] },
      });
    } else if (v < 0.98) {
      push(
        `wrong dimension ${collection}`,
        upsert(collection, [{ id: pick(r, ID_POOL), vector: [1, 2, 3] }]),
      );
    } else {
      const garbage = Uint8Array.from({ length: int(r, 3, 40) }, () => int(r, 0, 255));
      garbage[0] = 0x0a;
      garbage[1] = 0xff;
      push('garbage', garbage);
    }
  }
  return log;
}

// ------------------------------------------------------------------ replicas

interface Replica {
  name: string;
  sm: VectorStateMachine;
  /** Applies the entries [from, to) of the log. */
  apply(log: LogEntry[], from: number, to: number): Promise<ApplyResult[]>;
  restart?(): Promise<void>;
}

function oneByOne(sm: VectorStateMachine): Replica {
  return {
    name: 'one by one',
    sm,
    async apply(log, from, to) {
      const out: ApplyResult[] = [];
      for (let i = from; i < to; i++) out.push(await this.sm.applyEntry(i + 1, log[i]!.payload));
      return out;
    },
  };
}

function inGroups(
  name: string,
  sm: VectorStateMachine,
  seed: number,
  reopen: () => Promise<VectorStateMachine>,
): Replica {
  const r = mulberry32(seed);
  return {
    name,
    sm,
    async apply(log, from, to) {
      const out: ApplyResult[] = [];
      for (let at = from; at < to;) {
        const size = Math.min(to - at, int(r, 1, 25));
        const payloads = log.slice(at, at + size).map((e) => e.payload);
        const results = await this.sm.applyEntries(at + 1, payloads);
        expect(results, `${name}: group at ${at + 1}`).toHaveLength(size);
        out.push(...results);
        at += size;
      }
      return out;
    },
    async restart() {
      await closeSm(this.sm);
      this.sm = await reopen();
    },
  };
}

// ------------------------------------------------------------------ observations

/** A read's outcome as plain data: metadata as JSON text, so that key order counts too. */
function plain(points: ReadonlyArray<StoredPoint & { score?: number }>) {
  return points.map((p) => ({
    id: p.id,
    ...(p.score !== undefined && { score: p.score }),
    ...(p.vector !== undefined && { vector: Array.from(p.vector) }),
    ...(p.metadata !== undefined && { metadata: JSON.stringify(p.metadata) }),
  }));
}

async function outcome<T>(p: Promise<T>, shape: (value: T) => unknown): Promise<unknown> {
  try {
    return { ok: shape(await p) };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { error: e.code ?? 'thrown', message: e.message };
  }
}

interface Read {
  kind: 'search' | 'count' | 'scroll' | 'get';
  what: string;
  /** For a count: its filter. */
  filter?: Filter;
  run: (sm: VectorStateMachine) => Promise<unknown>;
}

function metadataSelection(r: Rng): { withMetadata: boolean; metadataKeys?: string[] } {
  const withMetadata = chance(r, 0.7);
  return chance(r, 0.3) ? { withMetadata, metadataKeys: some(r, KEYS, 1, 3) } : { withMetadata };
}

/** Random reads of one collection (`exactOnly`: every search has a filter). */
function randomReads(
  r: Rng,
  collection: string,
  metric: Metric,
  exactOnly: boolean,
  live: readonly string[],
  count: number,
): Read[] {
  const reads: Read[] = [];
  const someId = () => (live.length > 0 && chance(r, 0.9) ? pick(r, live) : pick(r, ID_POOL));
  for (let i = 0; i < count; i++) {
    const kind = r();
    if (kind < 0.45) {
      const nq = int(r, 1, 3);
      const vectors: Float32Array[] = [];
      const targets: SearchTarget[] = [];
      const filter = exactOnly || chance(r, 0.7) ? nonEmptyFilter(r) : undefined;
      for (let q = 0; q < nq; q++) {
        const t: SearchTarget = {};
        if (chance(r, 0.3)) t.pointId = someId();
        if (chance(r, 0.3)) t.k = int(r, 1, 30);
        if (chance(r, 0.3) || (exactOnly && filter === undefined)) t.filter = nonEmptyFilter(r);
        vectors.push(t.pointId !== undefined ? new Float32Array(0) : randomVector(r));
        targets.push(t);
      }
      const query: SearchQuery = {
        collection,
        vectors,
        k: int(r, 1, 30),
        withVector: chance(r, 0.3),
        ...metadataSelection(r),
        ...(targets.some((t) => Object.keys(t).length > 0) && { targets }),
        ...(filter !== undefined && { filter }),
        ...(chance(r, 0.25) && {
          scoreThreshold: metric === 'l2' ? r() * 6 : r() * 2 - 1,
        }),
        ...(chance(r, 0.2) && { efSearch: int(r, 1, 64) }),
      };
      reads.push({
        kind: 'search',
        what: `search ${JSON.stringify({ ...query, vectors: query.vectors.map((v) => Array.from(v)) })}`,
        run: (sm) => outcome(sm.search(query), (rows) => rows.map(plain)),
      });
    } else if (kind < 0.65) {
      const filter = chance(r, 0.9) ? randomFilter(r) : undefined;
      reads.push({
        kind: 'count',
        what: `count ${JSON.stringify(filter)}`,
        ...(filter !== undefined && { filter }),
        run: (sm) => outcome(sm.count(collection, filter), (n) => n),
      });
    } else if (kind < 0.85) {
      const filter = chance(r, 0.85) ? randomFilter(r) : undefined;
      const limit = int(r, 1, 40);
      const start = chance(r, 0.3) ? someId() : undefined;
      const pages = int(r, 1, 6);
      const selection = { withVector: chance(r, 0.2), ...metadataSelection(r) };
      reads.push({
        kind: 'scroll',
        what: `scroll ${JSON.stringify({ filter, limit, start, pages, selection })}`,
        run: async (sm) => {
          const out: unknown[] = [];
          let afterId = start;
          for (let p = 0; p < pages; p++) {
            const page = await outcome(
              sm.scroll({
                collection,
                limit,
                ...selection,
                ...(filter !== undefined && { filter }),
                ...(afterId !== undefined && { afterId }),
              }),
              (pg) => ({ points: plain(pg.points), next: pg.nextAfterId }),
            );
            out.push(page);
            const next = (page as { ok?: { next?: string } }).ok?.next;
            if (next === undefined) break;
            afterId = next;
          }
          return out;
        },
      });
    } else {
      const ids = Array.from({ length: int(r, 1, 8) }, someId);
      const selection = { withVector: chance(r, 0.5), ...metadataSelection(r) };
      reads.push({
        kind: 'get',
        what: `get ${JSON.stringify({ ids, selection })}`,
        run: (sm) => outcome(sm.get(collection, ids, selection), plain),
      });
    }
  }
  return reads;
}

/** Runs the same random reads on every replica; all must answer as the first. */
async function compareReads(replicas: Replica[], seed: number, perCollection: number) {
  const [first, ...others] = replicas;
  const r = mulberry32(seed);
  const collections = first!.sm.listCollections();
  for (const other of others)
    expect(other.sm.listCollections(), `${other.name}: collections`).toEqual(collections);
  let searches = 0;
  let filteredNonEmpty = 0;
  for (const info of collections) {
    const exactOnly = /^HNSW/i.test(info.indexSpec);
    const all = await scrollAll(first!.sm, info.name);
    expect(all.length).toBeLessThan(FILTER_EXACT_THRESHOLD);
    const live = all.map((p) => p.id);
    for (const read of randomReads(r, info.name, info.metric, exactOnly, live, perCollection)) {
      const want = await read.run(first!.sm);
      for (const other of others) {
        expect(
          await read.run(other.sm),
          `${other.name} vs ${first!.name}: ${info.name} ${read.what}`,
        ).toEqual(want);
      }
      if (read.kind === 'search') {
        searches++;
        const rows = (want as { ok?: unknown[][] }).ok;
        if (rows?.some((row) => row.length > 0)) filteredNonEmpty++;
      }
      // Counts are also checked against filter.ts over every point (not just alike).
      if (read.kind === 'count') {
        expect((want as { ok: number }).ok, `${info.name} ${read.what}`).toBe(
          expectedIds(all, read.filter).length,
        );
      }
    }
  }
  return { searches, filteredNonEmpty };
}

// ------------------------------------------------------------------ the test

describe('replicas that apply the same log answer every filtered query identically', () => {
  it('one by one, in groups with checkpoints and restarts, in groups with a full rebuild', async () => {
    const log = buildLog(90_210, 480);
    const singleSm = await openSm(await tempDir());
    const single = oneByOne(singleSm);

    const bDir = await tempDir();
    const checkpoints = { dir: join(bDir, 'checkpoints'), minChangedPoints: 150 };
    let lastLoad: LoadProgress | undefined;
    const openB = () =>
      openSm(join(bDir, 'state'), {
        checkpoints,
        onProgress: (p) => {
          lastLoad = p;
        },
      });
    const grouped = inGroups('groups + checkpoints', await openB(), 11, openB);

    const cDir = await tempDir();
    const openC = () => openSm(cDir);
    const rebuilt = inGroups('groups + rebuild', await openC(), 12, openC);

    const replicas = [single, grouped, rebuilt];
    const stops = [Math.floor(log.length * 0.3), Math.floor(log.length * 0.65), log.length];
    const results: ApplyResult[][] = [[], [], []];
    let from = 0;
    let totalSearches = 0;
    let nonEmpty = 0;
    for (let phase = 0; phase < stops.length; phase++) {
      const to = stops[phase]!;
      for (let i = 0; i < replicas.length; i++)
        results[i]!.push(...(await replicas[i]!.apply(log, from, to)));
      from = to;
      if (phase === 0) {
        await grouped.restart!();
        expect(
          lastLoad?.pointTablesRead,
          'the restart loads from the point tables',
        ).toBeGreaterThan(0);
      }
      if (phase === 1) {
        await grouped.restart!();
        await rebuilt.restart!();
      }
      for (const replica of replicas) expect(replica.sm.appliedIndex).toBe(to);
      for (const other of replicas.slice(1))
        expect(other.sm.appliedDigest, `${other.name}: digest at ${to}`).toEqual(
          single.sm.appliedDigest,
        );
      const seen = await compareReads(replicas, 1_000 + phase, 70);
      totalSearches += seen.searches;
      nonEmpty += seen.filteredNonEmpty;
    }

    // Every entry got the same result everywhere, and every digest on the way agrees.
    for (let i = 1; i < replicas.length; i++) {
      results[i]!.forEach((result, at) =>
        expect(result, `${replicas[i]!.name}: entry ${at + 1} (${log[at]!.what})`).toEqual(
          results[0]![at],
        ),
      );
    }
    for (const other of [grouped, rebuilt])
      for (let index = stops[1]! + 1; index <= log.length; index++)
        expect(other.sm.digestAt(index), `${other.name}: digest at ${index}`).toBe(
          single.sm.digestAt(index),
        );

    // The log did what it was for (else the comparisons prove little).
    const outcomes = new Map<string, { ok: number; refused: Set<string> }>();
    log.forEach((e, i) => {
      const kind = e.what.replace(/ .*/, '') + (e.what.includes('by filter') ? ' by filter' : '');
      const o = outcomes.get(kind) ?? { ok: 0, refused: new Set<string>() };
      const result = results[0]![i]!;
      if (result.ok) o.ok++;
      else o.refused.add(result.code);
      outcomes.set(kind, o);
    });
    for (const kind of [
      'upsert',
      'delete',
      'deleteByFilter',
      'update',
      'update by filter',
      'index',
      'drop',
    ])
      expect(outcomes.get(kind)?.ok, kind).toBeGreaterThan(3);
    expect(outcomes.get('update')?.refused).toContain('NOT_FOUND');
    expect(outcomes.get('bad')?.refused).toEqual(new Set(['INVALID_ARGUMENT']));
    expect(outcomes.get('garbage')?.refused).toEqual(new Set(['INVALID_ARGUMENT']));
    const updated = results[0]!.reduce((n, r) => n + (r.ok ? (r.updated ?? 0) : 0), 0);
    const deleted = results[0]!.reduce((n, r) => n + (r.ok ? (r.deleted ?? 0) : 0), 0);
    expect(updated).toBeGreaterThan(200);
    expect(deleted).toBeGreaterThan(50);
    for (const info of single.sm.listCollections()) expect(info.pointCount).toBeGreaterThan(30);
    expect(
      single.sm.listCollections().some((c) => c.payloadIndexes.length >= 3),
      'payload indexes in place at the end',
    ).toBe(true);
    expect(totalSearches).toBeGreaterThan(200);
    expect(nonEmpty).toBeGreaterThan(totalSearches / 3);
  });
});

// ------------------------------------------------------------------ ties

describe('hits that tie', () => {
  for (const indexSpec of ['Flat', 'HNSW32']) {
    it(`${indexSpec}: a replica that restarted returns the same hits among points with the same vector`, async () => {
      const aDir = await tempDir();
      const bDir = await tempDir();
      const a = await openSm(aDir);
      let b = await openSm(bDir);
      const log: Command[] = [
        create('c', 2, 'l2', indexSpec),
        // Inserted in the reverse of their key order (a restart reloads in key order).
        upsert(
          'c',
          ['z', 'y', 'x', 'w'].map((id) => ({ id, vector: [1, 1], metadata: { k: 1 } })),
        ),
        upsert('c', [{ id: 'far', vector: [5, 5], metadata: { k: 1 } }]),
      ];
      expect((await applyAll(a, ...log)).every((r) => r.ok)).toBe(true);
      await applyAll(b, ...log);
      await closeSm(b);
      b = await openSm(bDir);
      const query: SearchQuery = {
        collection: 'c',
        vectors: [new Float32Array([0, 0])],
        k: 2,
        filter: { must: [{ key: 'k', equals: 1 }] },
        withVector: false,
        withMetadata: false,
      };
      const fromA = await a.search(query);
      expect(fromA[0]).toHaveLength(2);
      expect(await b.search(query)).toEqual(fromA);
      if (indexSpec === 'Flat') {
        // Unfiltered too: the restarted replica loaded its index in label order.
        const unfiltered: SearchQuery = { ...query, filter: undefined };
        const all = await a.search(unfiltered);
        expect(all[0]!.map((h) => h.id)).toEqual(['z', 'y']);
        expect(await b.search(unfiltered)).toEqual(all);
      }
    });
  }
});
