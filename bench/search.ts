/**
 * Search close to the hardware (issue 15): every figure next to a baseline
 * measured in the same run, and the ratio. n points (default 100,000) × 128
 * dimensions, k = 10, Flat and HNSW32.
 *
 *   1. gRPC floor: a bare grpc-js unary call (child process) vs raftvec's health
 *      check, and raftvec's per-call search overhead (gRPC − in-process latency,
 *      same query, same efSearch) vs that floor.
 *   2. gRPC / in-process: 1 query per call, 8 calls in flight, one batch; upserts;
 *      the floor with 8 calls in flight, and the upper bound it sets on the ratio.
 *      2b. CPU per sequential call, client and server (/proc/<pid>/stat), vs the
 *      floor's; and the server's CPU beyond the search itself.
 *   3. Raw FAISS (bench/native/raw-faiss.cc against the addon's FAISS) vs the
 *      binding, and the Flat scan rate vs one core's memory bandwidth.
 *   4. FAISS build variants: native/build vs native/build-generic, if built.
 *   5. Recall@10: uniform random data (the hard case) and a Gaussian mixture
 *      (shaped like embeddings), efSearch 16…512 in-process, defaults via gRPC.
 *   6. Batch precision: distance of an exact match of large-magnitude vectors.
 *
 * Timing starts only once the server is quiet after each bulk upsert (index
 * checkpoints and snapshots keep it busy for a while: see waitProcessQuiet).
 *
 *   npm run bench -- search [--n 100000] [--queries 200] [--collection-ef N] [--long]
 *                           [--markdown] [--json [PATH]]
 *
 * --collection-ef N: section 5b's HNSW32 collection is created with efSearch N (its
 * default for searches that name none), and "through gRPC at the defaults" uses it.
 */
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_EF_SEARCH,
  FaissIndex,
  type SearchOptions as IndexSearchOptions,
  type SearchResult,
  faissAddonPath,
  faissVersion,
  getFaissThreadConfig,
} from '../src/index/faiss.js';
import { RaftvecClient } from '../src/client/client.js';
import { packageRoot } from '../src/package-root.js';
import { limits } from '../src/limits.js';
import {
  clockTicksPerSecond,
  processCpuSeconds,
  randomVectors,
  startServers,
  waitProcessQuiet,
  type QuietResult,
} from './common.js';
import { startGrpcFloor, startHealthTimer, type GrpcFloor } from './grpc-floor.js';
import { GAUSSIAN_MIXTURE_DEFAULTS, gaussianMixture, queriesNear } from './gaussian-mixture.js';
import { measureAddon, type VariantFiles, type VariantResult } from './faiss-variant.js';
import {
  buildRawFaiss,
  readFaissBuildInfo,
  runRawFaiss,
  type RawFaissResult,
} from './native/raw-faiss.js';
import {
  Report,
  UsageError,
  formatNumber,
  flagsOf,
  integerOption,
  type BenchOptions,
} from './report.js';

const DIM = 128;
const K = 10;
/** The index default efSearch; passed explicitly on both sides where they are compared. */
const HNSW_EF = DEFAULT_EF_SEARCH;
const EF_SWEEP = [16, 32, 64, 128, 256, 512] as const;
const IN_FLIGHT = 8;
/** Throughput figures: best of this many passes (both sides of every ratio alike). */
const ROUNDS = 2;
const WARMUP = 10;
const UPSERT_BATCH = 1000;
const LONG_N = 1_000_000;
/** Gaussian-mixture queries: a data point plus this much noise per component. */
const GM_QUERY_NOISE = 0.1;
/** The array summed for the memory bandwidth: well beyond any last-level cache. */
const BANDWIDTH_MB = 1024;
const PRECISION_STORED = 1000;
const PRECISION_QUERIES = 32;
const PRECISION_MAGNITUDE = 4000;
/** Section 2b: sequential calls per CPU measurement (after WARMUP), at least. */
const CPU_CALLS = 1000;
/** The floor with 8 calls in flight: at least this many calls (it is cheap; fewer is noise). */
const FLOOR_CONCURRENT_CALLS = 2000;
/** Quiet = at most 5% of a core over 1.5 s, waiting at most 3 minutes (bench/common.ts). */
const QUIET = { quietMs: 1_500, maxCpuFraction: 0.05, timeoutMs: 180_000 } as const;
/** Section 2b: aim for about this many seconds of calls per loop (within CPU_CALLS…5×). */
const CPU_SECONDS = 3;
/** Section 2b: the servers' idle CPU is measured over this long (ms). */
const IDLE_MS = 3000;

interface Args {
  n: number;
  queries: number;
  long: boolean;
  markdown: boolean;
  /** --collection-ef: section 5b's HNSW32 collection default efSearch (absent: none set). */
  collectionEf: number | undefined;
}

const USAGE =
  'usage: npm run bench -- search [--n POINTS] [--queries COUNT] [--collection-ef N] [--long] [--markdown] [--json [PATH]]';

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    n: 100_000,
    queries: 200,
    long: false,
    markdown: false,
    collectionEf: undefined,
  };
  const integer = integerOption(USAGE);
  for (const { arg, flag, inline, value } of flagsOf(argv)) {
    switch (flag) {
      case '--n':
        args.n = integer('--n', value(), 1_000, 100_000_000);
        break;
      case '--queries':
        // All queries go in one batch call; the server takes at most 1,024 per search.
        args.queries = integer('--queries', value(), 1, 1_024);
        break;
      case '--collection-ef':
        args.collectionEf = integer('--collection-ef', value(), 1, limits.maxEfSearch);
        break;
      case '--long':
        args.long = true;
        break;
      case '--markdown':
        args.markdown = true;
        break;
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown option "${arg}"\n${USAGE}`);
    }
    if (inline !== undefined && (flag === '--long' || flag === '--markdown')) {
      throw new UsageError(`${flag} takes no value\n${USAGE}`);
    }
  }
  return args;
}

// ---- timing helpers ------------------------------------------------------------------

const now = (): bigint => process.hrtime.bigint();
const since = (start: bigint): number => Number(now() - start) / 1e9;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function timeIt(work: () => Promise<unknown>): Promise<number> {
  const start = now();
  await work();
  return since(start);
}

/** Seconds of `count` sequential calls (best of `rounds` passes, after a warm-up). */
async function sequential(
  count: number,
  call: (i: number) => Promise<unknown>,
  rounds = ROUNDS,
): Promise<number> {
  for (let i = 0; i < Math.min(WARMUP, count); i++) await call(i);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    best = Math.min(
      best,
      await timeIt(async () => {
        for (let i = 0; i < count; i++) await call(i);
      }),
    );
  }
  return best;
}

/** Seconds of `count` calls with `inFlight` of them outstanding at a time (best of `rounds`). */
async function concurrent(
  count: number,
  inFlight: number,
  call: (i: number) => Promise<unknown>,
  rounds = ROUNDS,
): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let next = 0;
    best = Math.min(
      best,
      await timeIt(() =>
        Promise.all(
          Array.from({ length: inFlight }, async () => {
            while (next < count) await call(next++);
          }),
        ),
      ),
    );
  }
  return best;
}

/** Seconds of one call (best of `rounds`). */
async function once(call: () => Promise<unknown>, rounds = ROUNDS): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) best = Math.min(best, await timeIt(call));
  return best;
}

// ---- data ----------------------------------------------------------------------------

const row = (vectors: Float32Array, i: number): Float32Array =>
  vectors.subarray(i * DIM, (i + 1) * DIM);

const labelRange = (n: number): BigInt64Array =>
  BigInt64Array.from({ length: n }, (_, i) => BigInt(i));

const pointId = (i: number): string => `p${i}`;

function labelOfId(id: string): bigint {
  return BigInt(id.slice(1));
}

/** recall@K of `found` (one label list per query) against `truth`. */
function recallOf(
  found: readonly (readonly bigint[])[],
  truth: readonly ReadonlySet<bigint>[],
): number {
  let hits = 0;
  found.forEach((labels, q) => {
    for (const l of labels) if (truth[q]!.has(l)) hits++;
  });
  return hits / (truth.length * K);
}

const rowLabels = (result: SearchResult, q = 0): bigint[] =>
  Array.from(result.labels.subarray(q * K, (q + 1) * K)).filter((l) => l >= 0n);

function writeFloats(path: string, values: Float32Array): void {
  writeFileSync(path, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

const searchOptionsFor = (spec: string): IndexSearchOptions | undefined =>
  spec === 'Flat' ? undefined : { efSearch: HNSW_EF };

const errorText = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

// ---- in-process ----------------------------------------------------------------------

interface Local {
  spec: string;
  index: FaissIndex;
  addSeconds: number;
  singleSeconds: number;
  concurrentSeconds: number;
  batchSeconds: number;
}

async function buildLocal(
  spec: string,
  data: Float32Array,
  n: number,
): Promise<{ index: FaissIndex; addSeconds: number }> {
  const index = FaissIndex.create(DIM, spec, 'l2');
  const addSeconds = await timeIt(() => index.add(data, labelRange(n)));
  return { index, addSeconds };
}

async function measureLocal(
  spec: string,
  data: Float32Array,
  queries: Float32Array,
  args: Args,
): Promise<Local> {
  const { index, addSeconds } = await buildLocal(spec, data, args.n);
  const options = searchOptionsFor(spec);
  const one = (q: number): Promise<SearchResult> => index.search(row(queries, q), K, options);
  const singleSeconds = await sequential(args.queries, one);
  const concurrentSeconds = await concurrent(args.queries, IN_FLIGHT, one);
  const batchSeconds = await once(() => index.search(queries, K, options));
  return { spec, index, addSeconds, singleSeconds, concurrentSeconds, batchSeconds };
}

// ---- through gRPC --------------------------------------------------------------------

async function upsertAll(
  client: RaftvecClient,
  collection: string,
  data: Float32Array,
  n: number,
): Promise<number> {
  return timeIt(async () => {
    for (let start = 0; start < n; start += UPSERT_BATCH) {
      const points = [];
      for (let i = start; i < Math.min(n, start + UPSERT_BATCH); i++) {
        points.push({ id: pointId(i), vector: row(data, i) });
      }
      await client.upsert(collection, points);
    }
  });
}

/**
 * The collection's default efSearch, as the server describes it (set by --collection-ef
 * where section 5b creates its HNSW32 collection; otherwise the index's own).
 */
async function collectionDefaultEfSearch(
  client: RaftvecClient,
  collection: string,
): Promise<string> {
  const { efSearch } = await client.describeCollection(collection);
  return efSearch !== undefined && efSearch > 0
    ? `collection default efSearch ${efSearch}`
    : `index default efSearch (${HNSW_EF})`;
}

// ---- the bench -----------------------------------------------------------------------

export async function runSearchBench(
  argv: readonly string[],
  options: BenchOptions = {},
): Promise<void> {
  const args = parseArgs(argv);
  const report = new Report('search', options);
  const gmN = args.long ? LONG_N : args.n;

  let build: ReturnType<typeof readFaissBuildInfo> | undefined;
  let buildError: string | undefined;
  try {
    build = readFaissBuildInfo();
  } catch (error) {
    buildError = errorText(error);
  }
  const threads = getFaissThreadConfig();
  const variant = build
    ? build.file
      ? build.variant
      : 'unknown (no native/build/faiss-build.json)'
    : 'unreadable';
  report.params({
    n: args.n,
    dim: DIM,
    k: K,
    queries: args.queries,
    long: args.long,
    gaussianMixtureN: gmN,
    gaussianMixture: { ...GAUSSIAN_MIXTURE_DEFAULTS, queryNoise: GM_QUERY_NOISE },
    hnswEfSearch: HNSW_EF,
    efSweep: EF_SWEEP,
    collectionEfSearch: args.collectionEf ?? null,
    inFlight: IN_FLIGHT,
    rounds: ROUNDS,
    upsertBatch: UPSERT_BATCH,
    dataSeeds: { uniformData: 1, uniformQueries: 2, gaussianMixture: 1, gaussianQueries: 2 },
  });
  report.environment({
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverageAtStart: loadavg(),
    faissVariant: variant,
    faissBuild: build?.raw ?? null,
    faissBuildError: buildError ?? null,
    faissVersion: faissVersion(),
    addon: faissAddonPath(),
    faissThreads: threads,
  });
  report.log(
    `search bench: n=${args.n} d=${DIM} k=${K} queries=${args.queries}${args.long ? ` (--long: ${gmN.toLocaleString('en-US')} points for section 5)` : ''}`,
  );
  report.log(
    `  FAISS ${faissVersion()}, variant ${variant}; binding threads: search ${threads.searchThreads}, build ${threads.buildThreads}, BLAS ${threads.blasThreads}`,
  );
  report.log(
    `  ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (buildError) report.log(`  warning: ${buildError}`);
  const stale = staleDist();
  if (stale.length > 0) {
    report.log(
      `  warning: dist/ is older than src/ (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}): the server runs dist/, this process src/; run \`npm run build\``,
    );
  }
  report.environment({ staleDist: stale });

  const tmp = mkdtempSync(join(tmpdir(), 'raftvec-bench-search-'));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const data = randomVectors(args.n, DIM, 1);
    const queries = randomVectors(args.queries, DIM, 2);
    const files = {
      dataFile: join(tmp, 'data.f32'),
      n: args.n,
      queriesFile: join(tmp, 'queries.f32'),
      queries: args.queries,
      dim: DIM,
      k: K,
    };
    writeFloats(files.dataFile, data);
    writeFloats(files.queriesFile, queries);

    // ---- in-process, uniform random data ----
    report.log('\nin-process: building Flat and HNSW32 on uniform random data…');
    const flat = await measureLocal('Flat', data, queries, args);
    const hnsw = await measureLocal('HNSW32', data, queries, args);
    const locals = [flat, hnsw];

    // ---- sections 1 and 2: through gRPC ----
    report.log('gRPC: starting a raftvec server and the bare grpc-js floor server; upserting…');
    const servers = await startServers(1, 'search');
    cleanups.push(() => servers.stop());
    const address = servers.nodes[0]!.address;
    const serverPid = servers.nodes[0]!.child.pid;
    const client = new RaftvecClient(address, { deadlineMs: 120_000 });
    cleanups.push(async () => client.close());
    const floor = await startGrpcFloor();
    cleanups.push(() => floor.stop());
    const health = startHealthTimer(address);
    cleanups.push(async () => health.close());

    const upsertSeconds = new Map<string, number>();
    const quietNotes: string[] = [];
    for (const local of locals) {
      const collection = `uniform-${local.spec.toLowerCase()}`;
      await client.createCollection(collection, { dimension: DIM, indexSpec: local.spec });
      upsertSeconds.set(local.spec, await upsertAll(client, collection, data, args.n));
      quietNotes.push(await waitQuiet(report, serverPid, `after upserting ${collection}`));
    }

    report.section('1. gRPC floor and per-call overhead (sequential calls, means)');
    for (const text of quietNotes) report.note(text);
    const floorLatency = await floorVsHealth(
      report,
      floor,
      health.call,
      Math.max(200, args.queries),
    );
    for (const local of locals) {
      const s = local.spec;
      const collection = `uniform-${s.toLowerCase()}`;
      const ef = s === 'Flat' ? '' : `, efSearch ${HNSW_EF} both sides`;
      const opts = searchOptionsFor(s);
      const paired = await interleaved(args.queries, [
        (q) => local.index.search(row(queries, q), K, opts),
        (q) => client.search(collection, row(queries, q), { k: K, withMetadata: false, ...opts }),
        () => floor.call(),
      ]);
      const [inProcess, grpc, floorHere] = paired.map((xs) => mean(xs) * 1e6) as [
        number,
        number,
        number,
      ];
      report.figure(`${s}: in-process search${ef}`, inProcess, 'µs', {
        key: `${s}-in-process-latency`,
      });
      report.figure(`${s}: gRPC search`, grpc, 'µs', {
        key: `${s}-grpc-latency`,
        baseline: { name: 'in-process', value: inProcess },
      });
      report.figure(`${s}: floor, in the same loop`, floorHere, 'µs', {
        key: `${s}-floor-latency`,
        baseline: { name: 'floor', value: floorLatency },
      });
      report.figure(`${s}: per-call overhead (gRPC − in-process)`, grpc - inProcess, 'µs', {
        key: `${s}-overhead`,
        baseline: { name: 'floor, same loop', value: floorHere },
        goal: { op: '<=', value: 1.25 },
      });
    }
    report.note(
      'floor: a bare grpc-js server in a child process, one unary method taking 512 raw bytes (a 128-d query) and answering 160 (about 10 hits), no protobuf',
    );
    report.note(
      `per query, in turn: an in-process search, the same search through gRPC, a floor call; means over ${args.queries} queries after ${WARMUP} warm-up rounds`,
    );

    report.section(`2. gRPC / in-process, same queries (QPS, best of ${ROUNDS} passes)`);
    const floorCalls = Math.max(args.queries, FLOOR_CONCURRENT_CALLS);
    const floorSingleQps = floorCalls / (await sequential(floorCalls, () => floor.call()));
    const floorConcurrentQps =
      floorCalls / (await concurrent(floorCalls, IN_FLIGHT, () => floor.call()));
    report.figure(`floor, ${IN_FLIGHT} calls in flight`, floorConcurrentQps, 'QPS', {
      key: 'floor-concurrent-qps',
      baseline: { name: 'floor, 1 call at a time', value: floorSingleQps },
    });
    for (const local of locals) {
      const s = local.spec;
      const collection = `uniform-${s.toLowerCase()}`;
      const opts = { k: K, withMetadata: false, ...searchOptionsFor(s) };
      const one = (q: number): Promise<unknown> => client.search(collection, row(queries, q), opts);
      const singleSeconds = await sequential(args.queries, one);
      const concurrentSeconds = await concurrent(args.queries, IN_FLIGHT, one);
      const batch = Array.from({ length: args.queries }, (_, q) => row(queries, q));
      const batchSeconds = await once(() => client.search(collection, batch, opts));
      const qps = (seconds: number): number => args.queries / seconds;
      report.figure(`${s}: 1 query per call`, qps(singleSeconds), 'QPS', {
        key: `${s}-grpc-single-qps`,
        baseline: { name: 'in-process', value: qps(local.singleSeconds) },
      });
      const sequentialOverhead = ((singleSeconds - local.singleSeconds) / args.queries) * 1e6;
      report.figure(`${s}: per-call overhead, from these loops`, sequentialOverhead, 'µs', {
        key: `${s}-overhead-sequential`,
        baseline: { name: 'floor', value: floorLatency },
      });
      report.figure(`${s}: ${IN_FLIGHT} calls in flight`, qps(concurrentSeconds), 'QPS', {
        key: `${s}-grpc-concurrent-qps`,
        baseline: {
          name: `in-process, ${IN_FLIGHT} in flight`,
          value: qps(local.concurrentSeconds),
        },
        goal: { op: '>=', value: 0.9 },
      });
      report.figure(
        `${s}: upper bound of gRPC / in-process at ${IN_FLIGHT} in flight`,
        floorConcurrentQps,
        'QPS',
        {
          key: `${s}-grpc-concurrent-upper-bound`,
          baseline: {
            name: `in-process, ${IN_FLIGHT} in flight`,
            value: qps(local.concurrentSeconds),
          },
        },
      );
      report.figure(`${s}: batch of ${args.queries} in one call`, qps(batchSeconds), 'QPS', {
        key: `${s}-grpc-batch-qps`,
        baseline: { name: 'in-process', value: qps(local.batchSeconds) },
      });
      report.figure(
        `${s}: upsert, batches of ${UPSERT_BATCH}`,
        args.n / upsertSeconds.get(s)!,
        'vectors/s',
        {
          key: `${s}-grpc-upsert-rate`,
          baseline: { name: 'in-process add', value: args.n / local.addSeconds },
        },
      );
    }
    report.note(
      `HNSW32 with efSearch ${HNSW_EF} on both sides; ${IN_FLIGHT} in flight: promises on the binding vs calls on one gRPC channel`,
    );
    report.note(
      'per-call overhead from these loops: (gRPC − in-process time of the sequential passes) / queries, a cross-check of section 1, whose interleaved calls run with colder caches',
    );
    report.note(
      'in-process upsert = FaissIndex.add of all n vectors at once; gRPC upsert = validation, Raft log fsync, LevelDB and FAISS',
    );
    report.note(
      `floor, ${IN_FLIGHT} calls in flight: ${floorCalls} calls on one channel (baseline: the same calls one at a time), best of ${ROUNDS}; the "upper bound" rows put it over in-process search at ${IN_FLIGHT} in flight: a server that did nothing but answer could not beat that ratio. The real ceiling is lower: through gRPC the search, the server's gRPC work and this process's client share ${cpus().length} cores, which the in-process baseline (and the floor) each had to themselves`,
    );

    report.section('2b. CPU per sequential call, client (this process) and server (/proc)');
    await cpuSection(report, {
      floor,
      healthCall: health.call,
      serverPid,
      client,
      locals,
      queries,
      args,
    });
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();

    // ---- section 3: raw FAISS ----
    report.section('3. raw FAISS (C++, same library as the addon) and memory bandwidth');
    await rawFaissSection(report, build, flat.index, queries, files, args);

    // ---- section 4: build variants ----
    report.section('4. FAISS build variants (child processes, in-process work)');
    await variantsSection(report, variant, files, args);

    // ---- section 5: recall ----
    report.section(
      `5a. recall@${K}, uniform random data in-process (the HARD case: noise has no structure)`,
    );
    await recallUniform(report, flat.index, hnsw.index, queries, args);

    await recallGaussian(report, gmN, args, cleanups);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();

    // ---- section 6: batch precision ----
    report.section(
      '6. batch precision: exact copies of stored vectors, components near ±4,000 (Flat, in-process)',
    );
    await precisionSection(report);
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
  report.environment({ loadAverageAtEnd: loadavg() });
  await report.finish();
}

/** The src/ files whose dist/ build is missing or older (the server runs dist/). */
function staleDist(): string[] {
  const root = packageRoot();
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, 'src', dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const built = join(root, 'dist', rel.replace(/\.ts$/, '.js'));
        const source = statSync(join(root, 'src', rel)).mtimeMs;
        if (!existsSync(built) || statSync(built).mtimeMs < source) out.push(join('src', rel));
      }
    }
  };
  try {
    walk('');
  } catch {
    /* no src/ next to the bench: nothing to compare */
  }
  return out;
}

// ---- section 1 ---------------------------------------------------------------------------

/** Runs the calls in turn for each i; returns each call's round trips (seconds). */
async function interleaved(
  count: number,
  calls: readonly ((i: number) => Promise<unknown>)[],
): Promise<number[][]> {
  for (let i = 0; i < Math.min(WARMUP, count); i++) for (const call of calls) await call(i);
  const out = calls.map((): number[] => []);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < calls.length; c++) {
      const start = now();
      await calls[c]!(i);
      out[c]!.push(since(start));
    }
  }
  return out;
}

async function floorVsHealth(
  report: Report,
  floor: GrpcFloor,
  healthCall: () => Promise<number>,
  count: number,
): Promise<number> {
  const [floorTimes, healthTimes] = await interleaved(count, [
    () => floor.call(),
    () => healthCall(),
  ]);
  const floorMicros = mean(floorTimes!) * 1e6;
  report.figure('floor: bare grpc-js unary round trip', floorMicros, 'µs', {
    key: 'floor-latency',
  });
  report.figure('raftvec Health.Check round trip', mean(healthTimes!) * 1e6, 'µs', {
    key: 'health-latency',
    baseline: { name: 'floor', value: floorMicros },
  });
  report.note(
    `floor and Health.Check: ${count} calls of each, in turn, over one long-lived channel each, after ${WARMUP} warm-up rounds`,
  );
  return floorMicros;
}

// ---- waiting for a quiet server ----------------------------------------------------------

/**
 * Waits until the server process is quiet (after bulk upserts it still checkpoints its
 * indexes and snapshots); logs and returns a line saying how long that took.
 */
async function waitQuiet(report: Report, pid: number | undefined, when: string): Promise<string> {
  if (pid === undefined) return `${when}: the server has no process id, did not wait for it`;
  const result = await waitProcessQuiet(pid, QUIET);
  const text = quietText(when, result);
  report.log(`  ${text}`);
  return text;
}

function quietText(when: string, r: QuietResult): string {
  const seconds = formatNumber(r.waitedMs / 1000, 1);
  const cpu = Number.isFinite(r.cpuFraction)
    ? `${formatNumber(r.cpuFraction * 100, 1)}% of a core over the last window`
    : 'no full window measured';
  if (r.quiet) {
    return `${when}: waited ${seconds} s for the server to be quiet (${cpu}; the window itself, ${formatNumber(QUIET.quietMs / 1000, 1)} s, is the least wait)`;
  }
  if (r.error !== undefined)
    return `${when}: could not watch the server's CPU after ${seconds} s (${r.error}); timing anyway`;
  return `${when}: server still busy after ${seconds} s (${cpu}); timing anyway`;
}

// ---- section 2b ------------------------------------------------------------------------

interface CpuPerCall {
  calls: number;
  /** Wall time per call (µs). */
  wall: number;
  /** This process's CPU per call (µs): process.cpuUsage, all threads. */
  client: number;
  /** The server process's CPU per call (µs), from /proc/<pid>/stat; NaN without a server. */
  server: number;
}

/**
 * CPU per call of `call`, run sequentially: at least CPU_CALLS calls and about
 * CPU_SECONDS of them (at most 5 × CPU_CALLS), after WARMUP calls.
 */
async function cpuPerCall(
  call: (i: number) => Promise<unknown>,
  serverPid: number | undefined,
): Promise<CpuPerCall> {
  const warmStart = now();
  for (let i = 0; i < WARMUP; i++) await call(i);
  const warmPerCall = since(warmStart) / WARMUP;
  const calls = Math.min(
    5 * CPU_CALLS,
    Math.max(CPU_CALLS, Math.ceil(CPU_SECONDS / Math.max(warmPerCall, 1e-6))),
  );
  const server0 = serverPid === undefined ? NaN : processCpuSeconds(serverPid);
  const client0 = process.cpuUsage();
  const start = now();
  for (let i = 0; i < calls; i++) await call(i);
  const wall = since(start);
  const client = process.cpuUsage(client0);
  const server1 = serverPid === undefined ? NaN : processCpuSeconds(serverPid);
  return {
    calls,
    wall: (wall / calls) * 1e6,
    client: (client.user + client.system) / calls,
    server: ((server1 - server0) / calls) * 1e6,
  };
}

/** The fraction of one core process `pid` uses while nobody calls it, over `ms`. */
async function idleCpuFraction(pid: number, ms: number): Promise<number> {
  const cpu0 = processCpuSeconds(pid);
  const start = now();
  await new Promise((r) => setTimeout(r, ms));
  return (processCpuSeconds(pid) - cpu0) / since(start);
}

async function cpuSection(
  report: Report,
  ctx: {
    floor: GrpcFloor;
    healthCall: () => Promise<number>;
    serverPid: number | undefined;
    client: RaftvecClient;
    locals: readonly Local[];
    queries: Float32Array;
    args: Args;
  },
): Promise<void> {
  const { floor, serverPid, client, queries, args } = ctx;
  if (serverPid === undefined) {
    report.skip('the raftvec server has no process id');
    return;
  }
  const ticks = clockTicksPerSecond();
  let idleServer: number;
  let idleFloor: number;
  try {
    [idleServer, idleFloor] = await Promise.all([
      idleCpuFraction(serverPid, IDLE_MS),
      idleCpuFraction(floor.pid, IDLE_MS),
    ]);
  } catch (error) {
    report.skip(`cannot read the servers' CPU time from /proc: ${errorText(error)}`);
    return;
  }
  report.log('CPU per call: floor, Health.Check, then Flat and HNSW32 in-process and via gRPC…');
  const floorCpu = await cpuPerCall(() => floor.call(), floor.pid);
  const healthCpu = await cpuPerCall(() => ctx.healthCall(), serverPid);
  report.figure('floor: client CPU per call', floorCpu.client, 'µs', {
    key: 'cpu-floor-client',
    baseline: { name: 'floor round trip', value: floorCpu.wall },
  });
  report.figure('floor: server CPU per call', floorCpu.server, 'µs', {
    key: 'cpu-floor-server',
    baseline: { name: 'floor round trip', value: floorCpu.wall },
  });
  const vsFloorClient = { name: 'floor client', value: floorCpu.client };
  const vsFloorServer = { name: 'floor server', value: floorCpu.server };
  report.figure('Health.Check: client CPU per call', healthCpu.client, 'µs', {
    key: 'cpu-health-client',
    baseline: vsFloorClient,
  });
  report.figure('Health.Check: server CPU per call', healthCpu.server, 'µs', {
    key: 'cpu-health-server',
    baseline: vsFloorServer,
  });
  const walls = [
    `floor ${formatNumber(floorCpu.wall)} µs (${floorCpu.calls} calls)`,
    `Health.Check ${formatNumber(healthCpu.wall)} µs (${healthCpu.calls})`,
  ];
  for (const local of ctx.locals) {
    const s = local.spec;
    const collection = `uniform-${s.toLowerCase()}`;
    const opts = searchOptionsFor(s);
    const q = (i: number): Float32Array => row(queries, i % args.queries);
    const inProcess = await cpuPerCall((i) => local.index.search(q(i), K, opts), undefined);
    const grpc = await cpuPerCall(
      (i) => client.search(collection, q(i), { k: K, withMetadata: false, ...opts }),
      serverPid,
    );
    report.figure(`${s}: in-process search CPU per call`, inProcess.client, 'µs', {
      key: `cpu-${s}-in-process`,
      baseline: { name: 'its wall time', value: inProcess.wall },
    });
    report.figure(`${s}: gRPC client CPU per call`, grpc.client, 'µs', {
      key: `cpu-${s}-grpc-client`,
      baseline: vsFloorClient,
    });
    report.figure(`${s}: gRPC server CPU per call`, grpc.server, 'µs', {
      key: `cpu-${s}-grpc-server`,
      baseline: vsFloorServer,
    });
    report.figure(
      `${s}: server CPU beyond the search itself (server − in-process)`,
      grpc.server - inProcess.client,
      'µs',
      { key: `cpu-${s}-server-beyond-search`, baseline: vsFloorServer },
    );
    // With calls in flight the cores are the limit, and client, server and search share
    // them: each call costs its search plus both ends' gRPC work, where in-process it
    // costs the search alone. The floor's ends are the least any grpc-js server pays.
    const searchCpu = inProcess.client;
    report.figure(
      `${s}: CPU bound of gRPC / in-process in flight, with the floor's ends`,
      searchCpu / (searchCpu + floorCpu.client + floorCpu.server),
      '',
      {
        key: `cpu-${s}-bound-floor`,
        note: 'search CPU / (search + floor client + floor server CPU per call): the best ratio any grpc-js server could reach with client and server on these cores',
      },
    );
    report.figure(
      `${s}: CPU bound of gRPC / in-process in flight, with raftvec's ends`,
      searchCpu / (grpc.client + grpc.server),
      '',
      {
        key: `cpu-${s}-bound-raftvec`,
        note: 'search CPU / (raftvec client + server CPU per call): the 8-in-flight ratio section 2 can reach',
      },
    );
    walls.push(
      `${s} in-process ${formatNumber(inProcess.wall)} µs (${inProcess.calls}), via gRPC ${formatNumber(grpc.wall)} µs (${grpc.calls})`,
    );
  }
  report.note(
    `sequential calls, one at a time, after ${WARMUP} warm-up calls; at least ${CPU_CALLS} calls and about ${CPU_SECONDS} s each (at most ${5 * CPU_CALLS}); same queries and efSearch (${HNSW_EF}) as sections 1 and 2. Wall time per call in these loops: ${walls.join('; ')}`,
  );
  report.note(
    `client CPU: process.cpuUsage() of this process (user + system, all threads: the in-process row includes FAISS's own threads); server CPU: utime + stime of /proc/<pid>/stat at ${ticks.perSecond} ticks/s (${ticks.assumed ? 'assumed: getconf CLK_TCK failed' : 'getconf CLK_TCK'}), so ±1 tick (${formatNumber(1000 / ticks.perSecond, 0)} ms) per loop: ±${formatNumber(1e6 / ticks.perSecond / CPU_CALLS, 0)} µs per call or less`,
  );
  report.note(
    `the server figures include its idle CPU, measured over ${IDLE_MS / 1000} s with no calls just before: raftvec ${formatNumber(idleServer * 100, 1)}% of a core (Raft ticks; ${formatNumber(idleServer * healthCpu.wall, 1)} µs of a ${formatNumber(healthCpu.wall)} µs Health.Check), floor ${formatNumber(idleFloor * 100, 1)}%`,
  );
  report.note(
    "\"beyond the search itself\" subtracts the in-process loop's CPU per call (FAISS search plus the binding's call from JS) from the server's: what decoding, validation, the read path, encoding and grpc-js cost on the server side",
  );
}

// ---- section 3 ---------------------------------------------------------------------------

async function rawFaissSection(
  report: Report,
  build: ReturnType<typeof readFaissBuildInfo> | undefined,
  flat: FaissIndex,
  queries: Float32Array,
  files: VariantFiles,
  args: Args,
): Promise<void> {
  if (!build) {
    report.skip('native/build/faiss-build.json is unreadable (see the warning at the top)');
    return;
  }
  let binary: string;
  try {
    const built = buildRawFaiss(build);
    binary = built.binary;
    report.log(
      `raw FAISS baseline: ${built.compiled ? 'compiled' : 'cached'} ${binary} (${build.file ?? 'Debian defaults'})`,
    );
  } catch (error) {
    report.skip(`cannot build the raw FAISS baseline: ${errorText(error)}`);
    return;
  }
  const threads = getFaissThreadConfig();
  try {
    // The binding right before the raw runs, so both see the same machine.
    const single = await sequential(args.queries, (q) => flat.search(row(queries, q), K));
    const batch = await once(() => flat.search(queries, K));
    const defaults = await runRawFaiss(binary, { ...files, bandwidthMB: BANDWIDTH_MB });
    const matched = await runRawFaiss(binary, {
      ...files,
      bandwidthMB: 0,
      ompThreads: threads.searchThreads,
      blasThreads: threads.blasThreads,
    });
    const threadsOf = (r: RawFaissResult): string =>
      `OpenMP ${r.ompMaxThreads}, BLAS ${r.blasThreads} threads`;
    const better = (pick: (r: RawFaissResult) => number): RawFaissResult =>
      pick(defaults) >= pick(matched) ? defaults : matched;
    const bindingSingle = args.queries / single;
    const bindingBatch = args.queries / batch;
    report.figure('raw FAISS, Flat, 1 query per call, default threads', defaults.singleQps, 'QPS', {
      key: 'raw-single-qps-default-threads',
      baseline: { name: "binding's threads", value: matched.singleQps },
    });
    report.figure(
      `raw FAISS, Flat, batch of ${args.queries}, default threads`,
      defaults.batchQps,
      'QPS',
      {
        key: 'raw-batch-qps-default-threads',
        baseline: { name: "binding's threads", value: matched.batchQps },
      },
    );
    const bestSingle = better((r) => r.singleQps);
    report.figure('binding / raw FAISS, Flat, 1 query per call', bindingSingle, 'QPS', {
      key: 'binding-vs-raw-single',
      baseline: { name: `raw, ${threadsOf(bestSingle)}`, value: bestSingle.singleQps },
    });
    const bestBatch = better((r) => r.batchQps);
    report.figure(`binding / raw FAISS, Flat, batch of ${args.queries}`, bindingBatch, 'QPS', {
      key: 'binding-vs-raw-batch',
      baseline: { name: `raw, ${threadsOf(bestBatch)}`, value: bestBatch.batchQps },
      goal: { op: '>=', value: 0.95 },
    });
    report.figure('memory bandwidth, 1 thread', defaults.bandwidthGBs, 'GB/s', {
      key: 'memory-bandwidth',
    });
    const scanBytes = args.n * DIM * 4;
    report.figure(
      'binding Flat scan rate, 1 query per call',
      (scanBytes * bindingSingle) / 1e9,
      'GB/s',
      {
        key: 'flat-scan-rate',
        baseline: { name: 'memory bandwidth', value: defaults.bandwidthGBs },
        goal: { op: '>=', value: 0.6 },
      },
    );
    report.note(
      `raw FAISS: IndexIDMap2(IndexFlatL2) on the same data and queries, run twice: with the libraries' default threads (${threadsOf(defaults)}) and with the binding's (search ${threads.searchThreads}, BLAS ${threads.blasThreads}); the better run is the baseline`,
    );
    report.note(
      `memory bandwidth: one thread summing a ${BANDWIDTH_MB} MB float array, best of 5; scan rate: ${formatNumber(scanBytes / 1e6, 1)} MB (n × d × 4) per query × the binding's QPS`,
    );
    const cache = lastLevelCacheBytes();
    if (cache !== undefined && scanBytes <= cache) {
      report.note(
        `the ${formatNumber(scanBytes / 1e6, 1)} MB scanned fit in the ${formatNumber(cache / 1e6, 0)} MB last-level cache the CPU reports: the scan rate can exceed memory bandwidth (use a larger --n)`,
      );
    }
  } catch (error) {
    report.skip(`the raw FAISS baseline failed: ${errorText(error)}`);
  }
}

/** The largest CPU cache Linux reports for cpu0 (bytes), if any. */
function lastLevelCacheBytes(): number | undefined {
  let largest: number | undefined;
  for (let i = 0; i < 8; i++) {
    try {
      const text = readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${i}/size`, 'utf8').trim();
      const match = /^(\d+)([KMG]?)$/.exec(text);
      if (!match) continue;
      const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[
        match[2] as '' | 'K' | 'M' | 'G'
      ];
      const bytes = Number(match[1]) * scale;
      largest = Math.max(largest ?? 0, bytes);
    } catch {
      /* no such cache level */
    }
  }
  return largest;
}

// ---- section 4 ---------------------------------------------------------------------------

async function variantsSection(
  report: Report,
  variant: string,
  files: VariantFiles,
  args: Args,
): Promise<void> {
  const genericDir = join('native', 'build-generic');
  const genericAddon = join(packageRoot(), genericDir, 'Release', 'raftvec_faiss.node');
  if (!existsSync(genericAddon)) {
    report.skip(
      `no second addon at ${genericAddon}: build one with \`node native/build.mjs --variant generic --out native/build-generic\` (native/build is ${variant})`,
    );
    return;
  }
  let genericVariant = 'generic';
  try {
    const info = readFaissBuildInfo(genericDir);
    if (info.file) genericVariant = info.variant;
  } catch {
    /* the label stays "generic" */
  }
  report.log(
    `build variants: HNSW32 build of ${args.n.toLocaleString('en-US')} vectors and Flat queries with each addon…`,
  );
  let main: VariantResult;
  let generic: VariantResult;
  try {
    main = await measureAddon(undefined, files);
    generic = await measureAddon(genericAddon, files);
  } catch (error) {
    report.skip(errorText(error));
    return;
  }
  report.figure(
    `HNSW32 build, add ${args.n.toLocaleString('en-US')} vectors`,
    main.hnswBuildPerSecond,
    'vectors/s',
    {
      key: 'variant-hnsw-build-rate',
      baseline: { name: genericVariant, value: generic.hnswBuildPerSecond },
      goal: { op: '>=', value: 3 },
    },
  );
  report.figure('Flat, 1 query per call', main.flatSingleQps, 'QPS', {
    key: 'variant-flat-single-qps',
    baseline: { name: genericVariant, value: generic.flatSingleQps },
  });
  report.note(
    `value: native/build (variant ${variant}); baseline: native/build-generic (variant ${genericVariant}); each measured in its own child process (RAFTVEC_FAISS_ADDON), one after the other`,
  );
}

// ---- section 5 ---------------------------------------------------------------------------

interface Sweep {
  efSearch: number;
  recall: number;
  qps: number;
}

async function sweepEf(
  hnsw: FaissIndex,
  queries: Float32Array,
  count: number,
  truth: readonly ReadonlySet<bigint>[],
): Promise<Sweep[]> {
  const out: Sweep[] = [];
  for (const efSearch of EF_SWEEP) {
    const found: bigint[][] = [];
    for (let q = 0; q < count; q++)
      found.push(rowLabels(await hnsw.search(row(queries, q), K, { efSearch })));
    const seconds = await sequential(count, (q) => hnsw.search(row(queries, q), K, { efSearch }));
    out.push({ efSearch, recall: recallOf(found, truth), qps: count / seconds });
  }
  return out;
}

/** Exact top-K of each query (Flat, one query per call: no BLAS rounding), and the QPS of doing it. */
async function exactTruth(
  flat: FaissIndex,
  queries: Float32Array,
  count: number,
): Promise<{ truth: Set<bigint>[]; qps: number }> {
  const truth: Set<bigint>[] = [];
  for (let q = 0; q < count; q++)
    truth.push(new Set(rowLabels(await flat.search(row(queries, q), K))));
  const seconds = await sequential(count, (q) => flat.search(row(queries, q), K));
  return { truth, qps: count / seconds };
}

/** The efSearch sweep's figures; keys start with `prefix` (e.g. "gm-hnsw-ef16-recall"). */
function reportSweep(
  report: Report,
  prefix: string,
  sweep: readonly Sweep[],
  flatQps: number,
): void {
  report.figure('Flat (exact), 1 query per call', flatQps, 'QPS', { key: `${prefix}-flat-qps` });
  for (const s of sweep) {
    report.figure(`HNSW32 efSearch ${s.efSearch}: recall@${K}`, s.recall, '', {
      key: `${prefix}-hnsw-ef${s.efSearch}-recall`,
      digits: 3,
    });
    report.figure(`HNSW32 efSearch ${s.efSearch}: 1 query per call`, s.qps, 'QPS', {
      key: `${prefix}-hnsw-ef${s.efSearch}-qps`,
      baseline: { name: 'Flat', value: flatQps },
    });
  }
}

async function recallUniform(
  report: Report,
  flat: FaissIndex,
  hnsw: FaissIndex,
  queries: Float32Array,
  args: Args,
): Promise<void> {
  const { truth, qps } = await exactTruth(flat, queries, args.queries);
  const found: bigint[][] = [];
  for (let q = 0; q < args.queries; q++)
    found.push(rowLabels(await hnsw.search(row(queries, q), K)));
  report.figure(
    `HNSW32 recall@${K} at the index default efSearch (${HNSW_EF})`,
    recallOf(found, truth),
    '',
    { key: 'uniform-hnsw-default-recall', digits: 3 },
  );
  reportSweep(report, 'uniform', await sweepEf(hnsw, queries, args.queries, truth), qps);
  report.note(
    `n=${args.n.toLocaleString('en-US')} uniform in [-1, 1]^${DIM}, queries likewise (not near the data); ground truth: Flat`,
  );
}

async function recallGaussian(
  report: Report,
  gmN: number,
  args: Args,
  cleanups: (() => Promise<void>)[],
): Promise<void> {
  const title = `5b. recall@${K}, Gaussian mixture shaped like embeddings (n=${gmN.toLocaleString('en-US')}, ${GAUSSIAN_MIXTURE_DEFAULTS.clusters} clusters, queries near the data)`;
  report.section(title);
  report.log(
    `\nGaussian mixture: ${gmN.toLocaleString('en-US')} points; building Flat and HNSW32 in-process…`,
  );
  const gm = gaussianMixture({ n: gmN, dim: DIM, seed: 1 });
  const queries = queriesNear(gm, args.queries, 2, GM_QUERY_NOISE);
  let truth: Set<bigint>[];
  let flatQps: number;
  {
    const flat = (await buildLocal('Flat', gm.vectors, gmN)).index;
    const hnsw = (await buildLocal('HNSW32', gm.vectors, gmN)).index;
    ({ truth, qps: flatQps } = await exactTruth(flat, queries, args.queries));
    const sweep = await sweepEf(hnsw, queries, args.queries, truth);
    reportSweep(report, 'gm', sweep, flatQps);
    if (args.markdown) report.attach('markdown', markdownSweep(sweep, flatQps, gmN, args.queries));
  }

  report.log(
    `Gaussian mixture through gRPC: upserting ${gmN.toLocaleString('en-US')} points into Flat and HNSW32 collections…`,
  );
  const servers = await startServers(1, 'search-gm');
  cleanups.push(() => servers.stop());
  const client = new RaftvecClient(servers.nodes[0]!.address, { deadlineMs: 600_000 });
  cleanups.push(async () => client.close());
  const quietNotes: string[] = [];
  for (const spec of ['Flat', 'HNSW32']) {
    const collection = `gm-${spec.toLowerCase()}`;
    await client.createCollection(collection, {
      dimension: DIM,
      indexSpec: spec,
      ...(spec !== 'Flat' && args.collectionEf !== undefined && { efSearch: args.collectionEf }),
    });
    await upsertAll(client, collection, gm.vectors, gmN);
    quietNotes.push(
      await waitQuiet(report, servers.nodes[0]!.child.pid, `after upserting ${collection}`),
    );
  }
  const search = (collection: string, q: number): Promise<{ id: string }[]> =>
    client.search(collection, row(queries, q), { k: K, withMetadata: false });
  const flatSeconds = await sequential(args.queries, (q) => search('gm-flat', q));
  const found: bigint[][] = [];
  for (let q = 0; q < args.queries; q++)
    found.push((await search('gm-hnsw32', q)).map((h) => labelOfId(h.id)));
  const hnswSeconds = await sequential(args.queries, (q) => search('gm-hnsw32', q));
  const defaults = await collectionDefaultEfSearch(client, 'gm-hnsw32');
  const flatGrpcQps = args.queries / flatSeconds;
  report.figure('gRPC: Flat, 1 query per call', flatGrpcQps, 'QPS', {
    key: 'gm-grpc-flat-qps',
    baseline: { name: 'Flat in-process', value: flatQps },
  });
  report.figure(`gRPC: HNSW32 recall@${K} at the defaults`, recallOf(found, truth), '', {
    key: 'gm-grpc-hnsw-default-recall',
    digits: 3,
    goal: { op: '>=', value: 0.98, on: 'value' },
  });
  report.figure(
    'gRPC: HNSW32 at the defaults, 1 query per call',
    args.queries / hnswSeconds,
    'QPS',
    {
      key: 'gm-grpc-hnsw-default-qps',
      baseline: { name: 'gRPC Flat', value: flatGrpcQps },
      goal: { op: '>=', value: 10 },
    },
  );
  report.note(
    `the defaults of the HNSW32 collection: ${defaults}${args.collectionEf === undefined ? ' (--collection-ef N sets a collection default)' : ''}`,
  );
  for (const text of quietNotes) report.note(text);
  report.note(
    `mixture: ${GAUSSIAN_MIXTURE_DEFAULTS.clusters} clusters, spread ${GAUSSIAN_MIXTURE_DEFAULTS.spread}, decay ${GAUSSIAN_MIXTURE_DEFAULTS.decay} (bench/gaussian-mixture.ts); queries: a data point + N(0, ${GM_QUERY_NOISE}²) per component; ground truth: Flat in-process; QPS best of ${ROUNDS}`,
  );
}

function markdownSweep(
  sweep: readonly Sweep[],
  flatQps: number,
  n: number,
  queries: number,
): string {
  const lines = [
    `HNSW32, ${n.toLocaleString('en-US')} × ${DIM} Gaussian mixture (${GAUSSIAN_MIXTURE_DEFAULTS.clusters} clusters), k = ${K}, ${queries} queries near the data, in-process, 1 query per call (${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores):`,
    '',
    `| efSearch | recall@${K} | QPS | × Flat QPS |`,
    '|---:|---:|---:|---:|',
    ...sweep.map(
      (s) =>
        `| ${s.efSearch} | ${s.recall.toFixed(3)} | ${formatNumber(s.qps, 0)} | ${formatNumber(s.qps / flatQps, 1)} |`,
    ),
    `| Flat (exact) | 1.000 | ${formatNumber(flatQps, 0)} | 1.0 |`,
  ];
  return lines.join('\n');
}

// ---- section 6 ---------------------------------------------------------------------------

async function precisionSection(report: Report): Promise<void> {
  const random = randomVectors(PRECISION_STORED, DIM, 3);
  // Components of magnitude 4,000 ± 100, random signs.
  const stored = new Float32Array(random.length);
  for (let i = 0; i < random.length; i++) {
    const r = random[i]!;
    stored[i] = Math.sign(r || 1) * (PRECISION_MAGNITUDE + 100 * (2 * Math.abs(r) - 1));
  }
  const index = FaissIndex.create(DIM, 'Flat', 'l2');
  await index.add(stored, labelRange(PRECISION_STORED));
  const step = Math.floor(PRECISION_STORED / PRECISION_QUERIES);
  const sources = Array.from({ length: PRECISION_QUERIES }, (_, q) => q * step);
  const batch = new Float32Array(PRECISION_QUERIES * DIM);
  sources.forEach((s, q) => batch.set(row(stored, s), q * DIM));

  /** The distance returned for the query's own label, worst over the queries; and how many rows miss it. */
  const worstMatch = (
    result: SearchResult,
    rows: readonly number[],
  ): { worst: number; missing: number } => {
    let worst = 0;
    let missing = 0;
    rows.forEach((source, q) => {
      const labels = result.labels.subarray(q * K, (q + 1) * K);
      const at = labels.indexOf(BigInt(source));
      if (at < 0) missing++;
      else worst = Math.max(worst, result.distances[q * K + at]!);
    });
    return { worst, missing };
  };
  const batched = worstMatch(await index.search(batch, K), sources);
  let single = 0;
  let singleMissing = 0;
  for (let q = 0; q < PRECISION_QUERIES; q++) {
    const r = worstMatch(await index.search(row(batch, q), K), [sources[q]!]);
    single = Math.max(single, r.worst);
    singleMissing += r.missing;
  }
  report.figure(
    `largest distance of an exact match, batch of ${PRECISION_QUERIES} (BLAS path)`,
    batched.worst,
    '',
    {
      key: 'batch-exact-match-max-distance',
      baseline: { name: '1 query per call', value: single },
      digits: 1,
      note: 'expected 0 once the binding recomputes the returned distances exactly',
    },
  );
  report.note(
    `${PRECISION_STORED} stored vectors, ${PRECISION_QUERIES} queries copied from them; exact matches missing from the top ${K}: ${batched.missing} in the batch, ${singleMissing} one by one (0 is the right distance: a figure, not an assertion)`,
  );
}
