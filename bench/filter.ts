/**
 * Filtered search with and without a payload index: QPS and recall@10 at 1%, 10% and 50%
 * selectivity, every figure next to a baseline measured in the same run.
 *
 * In-process: one real VectorStateMachine (LevelDB + FAISS) in a temporary folder, written
 * through `apply` like a replica (upserts of 1,000 points per entry, unsynced), searched
 * through `search` one query per call, k = 10. One HNSW32 collection of n points (default
 * 100,000) × 64 dimensions from a Gaussian mixture (bench/gaussian-mixture.ts), each point
 * with metadata `{ bucket: i % 100, tag: "tNN" }` (tag = the bucket, two digits), so that
 *
 *   range:   bucket < 1 | < 10 | < 50             (an integer payload index answers it)
 *   keyword: tag = t00 | tag in [t00…t09] | [t00…t49]  (a keyword payload index answers it)
 *
 * match exactly 1%, 10% and 50% of the points (n a multiple of 100). Both filters of a
 * selectivity match the same points, so they share their ground truth.
 *
 * Recall first: every query (`--queries`, default 100) once per filter without the payload
 * indexes, then (after creating them) once with them. recall@10 is scored against exact
 * ground truth computed here in JavaScript (float64 brute force over exactly the matching
 * points), not by FAISS: a hit counts when it matches the filter and is no farther than the
 * true 10th nearest match (ties count); hits that do not match the filter are counted
 * apart (they must be 0). The hits with and without the indexes are also compared query by
 * query: a payload index changes how fast the filter is evaluated, never what it matches,
 * so the hit lists should be identical.
 *
 * Then QPS, in timed rounds that alternate the two conditions on the same collection (the
 * same FAISS index; only the payload indexes differ), in ABBA order: round 1 measures with
 * the payload indexes, drops them, measures without; round 2 without, creates them (each
 * creation timed: the createPayloadIndex entry's whole apply), with; and so on, so that
 * drift on a shared machine falls on both sides alike. A timed pass runs each filter's
 * queries in turn (the unfiltered baseline included) for `--seconds` (default 1), and at
 * least 10 of them: the same duration for both conditions. Reported: the median over rounds
 * of each QPS, and the median of the per-round ratios (with / without, back to back).
 *
 * Default (100,000 points): about 2½ minutes on 2 cores, most of it the recall pass without
 * the payload indexes.
 *
 *   npm run bench -- filter [--n 100000] [--queries 100] [--rounds 5] [--seconds 1]
 *                           [--dim 64] [--markdown] [--json [PATH]]
 *   npm run bench -- filter --n 5000 --queries 50 --rounds 3 --seconds 0.2   # quick smoke run
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  Command,
  Filter,
  Metadata,
  PayloadIndexSpec,
  Point,
  SearchHit,
} from '../src/domain.js';
import { faissVersion, getFaissThreadConfig } from '../src/index/faiss.js';
import { VectorStateMachine } from '../src/storage/state-machine.js';
import { GAUSSIAN_MIXTURE_DEFAULTS, gaussianMixture, queriesNear } from './gaussian-mixture.js';
import {
  Report,
  UsageError,
  formatNumber,
  flagsOf,
  integerOption,
  type BenchOptions,
} from './report.js';

const K = 10;
const INDEX_SPEC = 'HNSW32';
const COLLECTION = 'filtered';
const BUCKETS = 100;
/** Selectivities, in percent of the points (= buckets matched out of 100). */
const SELECTIVITIES = [1, 10, 50] as const;
const UPSERT_BATCH = 1000;
/** Queries: a data point plus N(0, noise²) per component. */
const QUERY_NOISE = 0.1;
/** A timed pass runs at least this many searches per filter, however long they take. */
const MIN_TIMED = 10;
/** Relative slack on distances when scoring recall (float32 FAISS vs float64 here). */
const TIE_SLACK = 1e-5;

const PAYLOAD_INDEXES: readonly PayloadIndexSpec[] = [
  { key: 'bucket', type: 'integer' },
  { key: 'tag', type: 'keyword' },
];

interface Args {
  n: number;
  queries: number;
  rounds: number;
  /** Duration of a timed pass, per filter and condition. */
  seconds: number;
  dim: number;
  markdown: boolean;
}

const USAGE =
  'usage: npm run bench -- filter [--n POINTS] [--queries COUNT] [--rounds R] [--seconds S] [--dim D] [--markdown] [--json [PATH]]';

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    n: 100_000,
    queries: 100,
    rounds: 5,
    seconds: 1,
    dim: 64,
    markdown: false,
  };
  const integer = integerOption(USAGE);
  for (const { arg, flag, inline, value } of flagsOf(argv)) {
    switch (flag) {
      case '--n':
        args.n = integer('--n', value(), 1_000, 10_000_000);
        break;
      case '--queries':
        args.queries = integer('--queries', value(), 1, 10_000);
        break;
      case '--rounds':
        args.rounds = integer('--rounds', value(), 1, 100);
        break;
      case '--seconds': {
        const text = value();
        const seconds = Number(text);
        if (text === undefined || !(seconds >= 0.01 && seconds <= 600))
          throw new UsageError(
            `--seconds must be a number from 0.01 to 600, got "${text}"\n${USAGE}`,
          );
        args.seconds = seconds;
        break;
      }
      case '--dim':
        args.dim = integer('--dim', value(), 1, 4_096);
        break;
      case '--markdown':
        if (inline !== undefined) throw new UsageError(`--markdown takes no value\n${USAGE}`);
        args.markdown = true;
        break;
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown option "${arg}"\n${USAGE}`);
    }
  }
  return args;
}

// ---- data, filters and ground truth ---------------------------------------------------

const bucketOf = (i: number): number => i % BUCKETS;
const tagOf = (bucket: number): string => `t${String(bucket).padStart(2, '0')}`;
const pointId = (i: number): string => `p${i}`;
const indexOfId = (id: string): number => Number(id.slice(1));

function metadataOf(i: number): Metadata {
  const bucket = bucketOf(i);
  return { bucket, tag: tagOf(bucket) };
}

interface Case {
  /** Short name, unique: "range 1%", "keyword 10%", "unfiltered". */
  name: string;
  /** What the filter says, for humans. */
  label: string;
  /** Percent of the points it should match (100 unfiltered). */
  percent: number;
  /** The metadata key the filter is on. */
  key: string | undefined;
  filter: Filter | undefined;
}

function cases(): Case[] {
  const out: Case[] = [
    { name: 'unfiltered', label: 'no filter', percent: 100, key: undefined, filter: undefined },
  ];
  for (const s of SELECTIVITIES) {
    out.push({
      name: `range ${s}%`,
      label: `bucket < ${s}`,
      percent: s,
      key: 'bucket',
      filter: { must: [{ key: 'bucket', range: { lt: s } }] },
    });
  }
  for (const s of SELECTIVITIES) {
    const tags = Array.from({ length: s }, (_, b) => tagOf(b));
    out.push({
      name: `keyword ${s}%`,
      label: s === 1 ? `tag = ${tags[0]}` : `tag in [${tags[0]}…${tags[s - 1]}]`,
      percent: s,
      key: 'tag',
      filter: { must: s === 1 ? [{ key: 'tag', equals: tags[0]! }] : [{ key: 'tag', in: tags }] },
    });
  }
  return out;
}

/** The exact neighbours of one query among the points of buckets < percent. */
interface Truth {
  /** Float64 squared L2 distance of the true k-th nearest match (Infinity if fewer match). */
  kth: number;
  /** How many true neighbours there are: min(k, matches). */
  want: number;
}

/** Float64 squared L2 distance between data row `i` and query row `q`. */
function distance(
  vectors: Float32Array,
  queries: Float32Array,
  dim: number,
  i: number,
  q: number,
): number {
  const o = i * dim;
  const qo = q * dim;
  let sum = 0;
  for (let j = 0; j < dim; j++) {
    const d = vectors[o + j]! - queries[qo + j]!;
    sum += d * d;
  }
  return sum;
}

/**
 * Exact ground truth for every query and percent: one float64 distance per point per
 * query, then the k smallest among the points whose bucket < percent.
 */
function groundTruth(
  vectors: Float32Array,
  queries: Float32Array,
  n: number,
  dim: number,
  percents: readonly number[],
): Map<number, Truth[]> {
  const nq = queries.length / dim;
  const truth = new Map<number, Truth[]>(percents.map((p) => [p, []]));
  const dist = new Float64Array(n);
  for (let q = 0; q < nq; q++) {
    for (let i = 0; i < n; i++) dist[i] = distance(vectors, queries, dim, i, q);
    for (const percent of percents) {
      // The k smallest, kept sorted ascending.
      const best: number[] = [];
      for (let i = 0; i < n; i++) {
        if (bucketOf(i) >= percent) continue;
        const d = dist[i]!;
        if (best.length === K && d >= best[K - 1]!) continue;
        let at = best.length < K ? best.length : K - 1;
        while (at > 0 && best[at - 1]! > d) {
          if (at < K) best[at] = best[at - 1]!;
          at--;
        }
        best[at] = d;
        if (best.length > K) best.length = K;
      }
      truth
        .get(percent)!
        .push({ kth: best.length === K ? best[K - 1]! : Infinity, want: best.length });
    }
  }
  return truth;
}

interface Scored {
  recall: number;
  /** Hits that do not match the filter (must be 0). */
  violations: number;
}

function score(
  found: readonly string[][],
  truth: readonly Truth[],
  data: { vectors: Float32Array; queries: Float32Array; dim: number },
  percent: number,
): Scored {
  let hits = 0;
  let wanted = 0;
  let violations = 0;
  found.forEach((ids, q) => {
    const t = truth[q]!;
    wanted += t.want;
    const limit = t.kth * (1 + TIE_SLACK);
    const seen = new Set<number>();
    for (const id of ids.slice(0, K)) {
      const i = indexOfId(id);
      if (seen.has(i)) continue;
      seen.add(i);
      if (bucketOf(i) >= percent) violations++;
      else if (distance(data.vectors, data.queries, data.dim, i, q) <= limit) hits++;
    }
  });
  return { recall: wanted === 0 ? 1 : hits / wanted, violations };
}

// ---- timing -------------------------------------------------------------------------

const now = (): bigint => process.hrtime.bigint();
const since = (start: bigint): number => Number(now() - start) / 1e9;

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

type Condition = 'without' | 'with';

interface CaseResult {
  case: Case;
  matches: number;
  qps: Record<Condition, number[]>;
  /** Per round: QPS with / QPS without, measured back to back. */
  ratios: number[];
  /** Searches run in the timed passes. */
  timedQueries: Record<Condition, number>;
  /** Hit ids of the recall pass of each condition, per query. */
  found: Partial<Record<Condition, string[][]>>;
}

// ---- the bench -----------------------------------------------------------------------

export async function runFilterBench(
  argv: readonly string[],
  options: BenchOptions = {},
): Promise<void> {
  const args = parseArgs(argv);
  const report = new Report('filter', options);
  const threads = getFaissThreadConfig();
  const started = now();
  report.params({
    n: args.n,
    dim: args.dim,
    k: K,
    queries: args.queries,
    rounds: args.rounds,
    indexSpec: INDEX_SPEC,
    buckets: BUCKETS,
    selectivitiesPercent: SELECTIVITIES,
    payloadIndexes: PAYLOAD_INDEXES,
    upsertBatch: UPSERT_BATCH,
    secondsPerPass: args.seconds,
    minSearchesPerPass: MIN_TIMED,
    gaussianMixture: { ...GAUSSIAN_MIXTURE_DEFAULTS, queryNoise: QUERY_NOISE },
    dataSeeds: { data: 1, queries: 2 },
    sync: false,
  });
  report.environment({
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverageAtStart: loadavg(),
    faissVersion: faissVersion(),
    faissThreads: threads,
  });
  report.log(
    `filter bench: n=${args.n.toLocaleString('en-US')} d=${args.dim} ${INDEX_SPEC} k=${K} queries=${args.queries} rounds=${args.rounds}`,
  );
  report.log(
    `  FAISS ${faissVersion()}; binding threads: search ${threads.searchThreads}, build ${threads.buildThreads}; ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'raftvec-bench-filter-'));
  let sm: VectorStateMachine | undefined;
  try {
    sm = await VectorStateMachine.open(join(dir, 'state'), { sync: false });
    const machine = sm;
    const apply = async (command: Command): Promise<number> => {
      const start = now();
      const result = await machine.apply(machine.appliedIndex + 1, command);
      const seconds = since(start);
      if (!result.ok) throw new Error(`${command.kind} was refused: ${result.message}`);
      return seconds;
    };

    // ---- data ----
    report.log(`\ngenerating ${args.n.toLocaleString('en-US')} × ${args.dim} Gaussian mixture…`);
    const gm = gaussianMixture({ n: args.n, dim: args.dim, seed: 1 });
    const queries = queriesNear(gm, args.queries, 2, QUERY_NOISE);
    const queryRows = Array.from({ length: args.queries }, (_, q) =>
      queries.subarray(q * args.dim, (q + 1) * args.dim),
    );

    await apply({
      kind: 'createCollection',
      spec: { name: COLLECTION, dimension: args.dim, metric: 'l2', indexSpec: INDEX_SPEC },
    });
    report.log(
      `loading into a VectorStateMachine (${INDEX_SPEC}, LevelDB unsynced, ${UPSERT_BATCH.toLocaleString('en-US')} points per entry)…`,
    );
    let loadSeconds = 0;
    for (let start = 0; start < args.n; start += UPSERT_BATCH) {
      const points: Point[] = [];
      for (let i = start; i < Math.min(args.n, start + UPSERT_BATCH); i++) {
        points.push({
          id: pointId(i),
          vector: gm.vectors.subarray(i * args.dim, (i + 1) * args.dim),
          metadata: metadataOf(i),
        });
      }
      loadSeconds += await apply({ kind: 'upsert', collection: COLLECTION, points });
    }
    const info = sm.describeCollection(COLLECTION);
    if (info.pointCount !== args.n)
      throw new Error(`the collection holds ${info.pointCount} points, not ${args.n}`);
    report.log(`  loaded in ${loadSeconds.toFixed(1)} s`);

    report.log(`computing exact ground truth (float64, in JavaScript)…`);
    const truthStart = now();
    const all = cases();
    const percents = [...new Set(all.map((c) => c.percent))];
    const truth = groundTruth(
      gm.vectors,
      queries,
      args.n,
      args.dim,
      percents.map((p) => (p === 100 ? BUCKETS : p)),
    );
    const truthOf = (c: Case): Truth[] => truth.get(c.percent === 100 ? BUCKETS : c.percent)!;
    report.log(`  ${since(truthStart).toFixed(1)} s`);

    const results: CaseResult[] = [];
    for (const c of all) {
      results.push({
        case: c,
        matches: await sm.count(COLLECTION, c.filter),
        qps: { without: [], with: [] },
        ratios: [],
        timedQueries: { without: 0, with: 0 },
        found: {},
      });
    }

    // ---- the rounds ----
    const search = (c: Case, q: number): Promise<SearchHit[][]> =>
      machine.search({
        collection: COLLECTION,
        vectors: [queryRows[q]!],
        k: K,
        filter: c.filter,
        withVector: false,
        withMetadata: false,
      });
    /** Every query once, keeping the hits (for recall); the first searches also warm up. */
    const recallPass = async (condition: Condition): Promise<void> => {
      const passStart = now();
      for (const r of results) {
        const found: string[][] = [];
        for (let q = 0; q < args.queries; q++)
          found.push((await search(r.case, q))[0]!.map((h) => h.id));
        r.found[condition] = found;
      }
      report.log(
        `recall pass, ${condition} payload indexes (${args.queries} queries per filter): ${since(passStart).toFixed(1)} s`,
      );
    };
    /** QPS of each filter: its queries in turn for --seconds, and at least MIN_TIMED of them. */
    const timedPass = async (condition: Condition): Promise<void> => {
      const budget = BigInt(Math.round(args.seconds * 1e9));
      for (const r of results) {
        let count = 0;
        const start = now();
        let elapsed = 0n;
        while (count < MIN_TIMED || elapsed < budget) {
          await search(r.case, count % args.queries);
          count++;
          elapsed = now() - start;
        }
        r.qps[condition].push(count / (Number(elapsed) / 1e9));
        r.timedQueries[condition] += count;
      }
    };
    const createSeconds = new Map<string, number[]>(PAYLOAD_INDEXES.map((s) => [s.key, []]));
    const dropSeconds: number[] = [];
    let indexed = false;
    const switchTo = async (condition: Condition): Promise<void> => {
      if (condition === 'with' && !indexed) {
        for (const spec of PAYLOAD_INDEXES) {
          createSeconds
            .get(spec.key)!
            .push(await apply({ kind: 'createPayloadIndex', collection: COLLECTION, index: spec }));
        }
        indexed = true;
      } else if (condition === 'without' && indexed) {
        let seconds = 0;
        for (const spec of PAYLOAD_INDEXES)
          seconds += await apply({
            kind: 'dropPayloadIndex',
            collection: COLLECTION,
            key: spec.key,
          });
        dropSeconds.push(seconds);
        indexed = false;
      }
      const held = sm!.describeCollection(COLLECTION).payloadIndexes.length;
      if (held !== (condition === 'with' ? PAYLOAD_INDEXES.length : 0))
        throw new Error(`the collection holds ${held} payload indexes in condition "${condition}"`);
    };
    await switchTo('without');
    await recallPass('without');
    await switchTo('with');
    await recallPass('with');
    for (let round = 0; round < args.rounds; round++) {
      // ABBA, starting where the last pass left the collection (with its payload indexes).
      const order: Condition[] = round % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
      const roundStart = now();
      for (const condition of order) {
        await switchTo(condition);
        await timedPass(condition);
      }
      for (const r of results) r.ratios.push(r.qps.with[round]! / r.qps.without[round]!);
      report.log(
        `timed round ${round + 1}/${args.rounds} (${order.join(', then ')} payload indexes): ${since(roundStart).toFixed(1)} s`,
      );
    }

    // ---- figures ----
    const baseline = results[0]!;
    const baselineQps = median([...baseline.qps.without, ...baseline.qps.with]);
    const scoring = { vectors: gm.vectors, queries, dim: args.dim };
    const scored = results.map((r) => {
      const t = truthOf(r.case);
      const without = score(r.found.without!, t, scoring, r.case.percent);
      const withIndex = score(r.found.with!, t, scoring, r.case.percent);
      let identical = 0;
      r.found.without!.forEach((ids, q) => {
        const other = r.found.with![q]!;
        if (ids.length === other.length && ids.every((id, j) => id === other[j])) identical++;
      });
      return { r, without, with: withIndex, identical };
    });

    report.section(
      `1. collection and payload indexes (n=${args.n.toLocaleString('en-US')}, d=${args.dim}, ${INDEX_SPEC})`,
    );
    report.figure('load: upserts applied', args.n / loadSeconds, 'points/s', {
      key: 'load-points-per-second',
    });
    for (const spec of PAYLOAD_INDEXES) {
      const ms = 1000 * median(createSeconds.get(spec.key)!);
      // The 1% search on this key without its index: the build costs this many of them.
      const onePercent = results.find(
        (r) => r.case.percent === SELECTIVITIES[0] && r.case.key === spec.key,
      )!;
      report.figure(`createPayloadIndex ${spec.key} (${spec.type}): apply time`, ms, 'ms', {
        key: `create-payload-index-${spec.key}-ms`,
        baseline: {
          name: `1 search ${onePercent.case.label}, no index`,
          value: 1000 / median(onePercent.qps.without),
        },
        note: `median of ${createSeconds.get(spec.key)!.length} creations over ${args.n.toLocaleString('en-US')} points (the entry's whole apply, LevelDB unsynced); ratio: the build costs that many unindexed searches`,
      });
    }
    report.figure('dropPayloadIndex, both: apply time', 1000 * median(dropSeconds), 'ms', {
      key: 'drop-payload-indexes-ms',
    });
    report.note(
      `the collection's searches use efSearch ${info.efSearch ?? 'default (256)'}; data: ${GAUSSIAN_MIXTURE_DEFAULTS.clusters}-cluster Gaussian mixture, metadata { bucket: i % ${BUCKETS}, tag: "tNN" } (independent of the clusters); queries: a data point + N(0, ${QUERY_NOISE}²) per component`,
    );

    for (const kind of ['range', 'keyword'] as const) {
      report.section(
        kind === 'range'
          ? `2. filter on an integer key (range), integer payload index on "bucket"`
          : `3. filter on a keyword key (equals / in), keyword payload index on "tag"`,
      );
      if (kind === 'range') {
        report.figure('unfiltered: QPS', baselineQps, 'QPS', {
          key: 'unfiltered-qps',
          note: `median of all ${2 * args.rounds} timed passes (both conditions)`,
        });
        report.figure(`unfiltered: recall@${K}`, scored[0]!.without.recall, '', {
          key: 'unfiltered-recall',
          digits: 3,
        });
      }
      for (const s of scored.filter((x) => x.r.case.name.startsWith(kind))) {
        const { r } = s;
        const key = `${kind}-${r.case.percent}pct`;
        const head = `${r.case.percent}% (${r.case.label})`;
        const without = median(r.qps.without);
        const withIndex = median(r.qps.with);
        report.figure(`${head}: QPS, no payload index`, without, 'QPS', {
          key: `${key}-qps-without`,
          baseline: { name: 'unfiltered', value: baselineQps },
        });
        report.figure(`${head}: QPS, payload index`, withIndex, 'QPS', {
          key: `${key}-qps-with`,
          baseline: { name: 'no payload index', value: without },
          ratio: median(r.ratios),
        });
        report.figure(`${head}: recall@${K}, no payload index`, s.without.recall, '', {
          key: `${key}-recall-without`,
          digits: 3,
        });
        report.figure(`${head}: recall@${K}, payload index`, s.with.recall, '', {
          key: `${key}-recall-with`,
          digits: 3,
          baseline: { name: 'no payload index', value: s.without.recall },
        });
        report.figure(
          `${head}: queries with identical hits, with vs without`,
          s.identical / args.queries,
          '',
          { key: `${key}-identical-hits`, digits: 3, goal: { op: '>=', value: 1, on: 'value' } },
        );
        report.figure(
          `${head}: hits not matching the filter`,
          s.without.violations + s.with.violations,
          '',
          { key: `${key}-violations`, digits: 0, goal: { op: '<=', value: 0, on: 'value' } },
        );
        if (r.matches !== Math.round((args.n * r.case.percent) / 100) && args.n % BUCKETS === 0)
          report.note(
            `${r.case.name}: ${r.matches} matches, expected ${(args.n * r.case.percent) / 100}`,
          );
      }
    }

    let fewest = Infinity;
    let fewestCase = '';
    for (const r of results) {
      for (const condition of ['without', 'with'] as const) {
        const perPass = r.timedQueries[condition] / args.rounds;
        if (perPass < fewest) {
          fewest = perPass;
          fewestCase = `${r.case.name}, ${condition} payload indexes`;
        }
      }
    }
    report.section('summary');
    report.attach('table', summaryTable(scored, baselineQps, args, false));
    if (args.markdown) report.attach('markdown', summaryTable(scored, baselineQps, args, true));
    report.note(
      `QPS: 1 query per call, sequential, in-process (VectorStateMachine.search); each filter for ${args.seconds} s (at least ${MIN_TIMED} searches) per condition per round, median of ${args.rounds} rounds; ratio: median of the per-round ratios (with / without, back to back, ABBA order); fewest searches per pass: ${formatNumber(fewest, 0)} (${fewestCase})`,
    );
    report.note(
      `recall@${K}: the recall pass of each condition (${args.queries} queries per filter) vs exact float64 brute force over the matching points (ties within ${TIE_SLACK} relative count as hits)`,
    );
    report.note(
      'which path a filtered search takes is the index planner’s choice by match count (src/index/collection-index.ts): brute force over the matches up to 20,000 of them (recall 1.000); above that, for at least 30% of the points, the HNSW graph unrestricted with more hits asked and the matching ones kept; else the graph restricted to the matches by an id selector',
    );
    report.note(`total run time ${since(started).toFixed(0)} s`);
  } finally {
    await sm?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await report.finish();
}

function summaryTable(
  scored: readonly {
    r: CaseResult;
    without: Scored;
    with: Scored;
    identical: number;
  }[],
  baselineQps: number,
  args: Args,
  markdown: boolean,
): string {
  const header = [
    'filter',
    'selectivity',
    'matches',
    'QPS no index',
    'QPS with index',
    'with/without',
    `recall@${K} without`,
    `recall@${K} with`,
    'identical hits',
  ];
  const rows: string[][] = scored.map((s) => {
    const { r } = s;
    const unfiltered = r.case.filter === undefined;
    return [
      unfiltered ? 'unfiltered (baseline)' : `${r.case.name.split(' ')[0]}: ${r.case.label}`,
      `${r.case.percent}%`,
      r.matches.toLocaleString('en-US'),
      formatNumber(unfiltered ? baselineQps : median(r.qps.without), 0),
      unfiltered ? '—' : formatNumber(median(r.qps.with), 0),
      unfiltered ? '—' : `${formatNumber(median(r.ratios), 2)}×`,
      s.without.recall.toFixed(3),
      unfiltered ? '—' : s.with.recall.toFixed(3),
      unfiltered ? '—' : `${s.identical}/${args.queries}`,
    ];
  });
  if (markdown) {
    const title = `Filtered search, ${INDEX_SPEC}, ${args.n.toLocaleString('en-US')} × ${args.dim} Gaussian mixture, k = ${K}, in-process, 1 query per call, median of ${args.rounds} rounds (${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores):`;
    return [
      title,
      '',
      `| ${header.join(' | ')} |`,
      `|${header.map((_, c) => (c <= 1 ? '---' : '---:')).join('|')}|`,
      ...rows.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n');
  }
  const table = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table
    .map(
      (row) =>
        `  ${row
          .map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
          .join('  ')
          .trimEnd()}`,
    )
    .join('\n');
}
