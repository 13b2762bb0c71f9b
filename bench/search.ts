/**
 * Search and upsert: our FAISS binding in-process vs the same work through gRPC
 * from this (client) process to a `raftvec serve` process. n = 100,000 random
 * vectors, d = 128, k = 10; Flat and HNSW32; recall@10 of HNSW32 against Flat.
 *
 *   npm run bench -- search [--n 100000] [--queries 200]
 */
import { FaissIndex } from '../src/index/faiss.js';
import { RaftvecClient } from '../src/client/client.js';
import { fmt, randomVectors, startServers, timed } from './common.js';

interface Args {
  n: number;
  queries: number;
}

const DIM = 128;
const K = 10;

function labelsOf(result: { labels: BigInt64Array }, query: number): bigint[] {
  return Array.from(result.labels.subarray(query * K, (query + 1) * K));
}

async function inProcess(spec: string, data: Float32Array, queries: Float32Array, args: Args) {
  const index = FaissIndex.create(DIM, spec, 'l2');
  const ids = BigInt64Array.from({ length: args.n }, (_, i) => BigInt(i));
  const add = await timed(() => index.add(data, ids));
  const single = await timed(async () => {
    for (let q = 0; q < args.queries; q++)
      await index.search(queries.subarray(q * DIM, (q + 1) * DIM), K);
  });
  const batch = await timed(() => index.search(queries, K));
  return {
    index,
    addPerSecond: args.n / add.seconds,
    singleQps: args.queries / single.seconds,
    batchQps: args.queries / batch.seconds,
    results: batch.value,
  };
}

async function throughGrpc(spec: string, data: Float32Array, queries: Float32Array, args: Args) {
  const servers = await startServers(1, 'search');
  const client = new RaftvecClient(servers.nodes[0]!.address, { deadlineMs: 120_000 });
  try {
    await client.createCollection('bench', { dimension: DIM, indexSpec: spec });
    const batchSize = 1000;
    const upsert = await timed(async () => {
      for (let start = 0; start < args.n; start += batchSize) {
        const points = [];
        for (let i = start; i < Math.min(args.n, start + batchSize); i++) {
          points.push({ id: `p${i}`, vector: data.subarray(i * DIM, (i + 1) * DIM) });
        }
        await client.upsert('bench', points);
      }
    });
    const queryVector = (q: number): Float32Array => queries.subarray(q * DIM, (q + 1) * DIM);
    const single = await timed(async () => {
      for (let q = 0; q < args.queries; q++)
        await client.search('bench', queryVector(q), { k: K, withMetadata: false });
    });
    const concurrent = await timed(async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < args.queries) {
            const q = next++;
            await client.search('bench', queryVector(q), { k: K, withMetadata: false });
          }
        }),
      );
    });
    const batch = await timed(() =>
      client.search(
        'bench',
        Array.from({ length: args.queries }, (_, q) => queryVector(q)),
        { k: K, withMetadata: false },
      ),
    );
    return {
      upsertPerSecond: args.n / upsert.seconds,
      singleQps: args.queries / single.seconds,
      concurrentQps: args.queries / concurrent.seconds,
      batchQps: args.queries / batch.seconds,
    };
  } finally {
    client.close();
    await servers.stop();
  }
}

export async function runSearchBench(argv: readonly string[]): Promise<void> {
  const args: Args = { n: 100_000, queries: 200 };
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--n') args.n = value;
    else if (argv[i] === '--queries') args.queries = value;
  }
  console.log(
    `search bench: n=${args.n} d=${DIM} k=${K} queries=${args.queries} (seeded random data)`,
  );
  const data = randomVectors(args.n, DIM, 1);
  const queries = randomVectors(args.queries, DIM, 2);

  const flat = await inProcess('Flat', data, queries, args);
  const hnsw = await inProcess('HNSW32', data, queries, args);
  let hits = 0;
  for (let q = 0; q < args.queries; q++) {
    const truth = new Set(labelsOf(flat.results, q));
    hits += labelsOf(hnsw.results, q).filter((l) => truth.has(l)).length;
  }
  const recall = hits / (args.queries * K);

  // Random uniform 128-d data is the hardest case for a graph index: show the
  // recall/QPS trade-off along efSearch (FAISS's default is 16).
  const sweep: string[] = [];
  for (const efSearch of [16, 64, 256]) {
    const run = await timed(async () => {
      let found = 0;
      for (let q = 0; q < args.queries; q++) {
        const result = await hnsw.index.search(queries.subarray(q * DIM, (q + 1) * DIM), K, {
          efSearch,
        });
        const truth = new Set(labelsOf(flat.results, q));
        found += Array.from(result.labels).filter((l) => truth.has(l)).length;
      }
      return found / (args.queries * K);
    });
    sweep.push(
      `efSearch ${efSearch}: recall@${K} ${fmt(run.value, 3)}, ${fmt(args.queries / run.seconds)} QPS (1 query per call)`,
    );
  }

  const rows: string[][] = [['index', 'mode', 'in-process', 'gRPC', 'gRPC / in-process']];
  for (const [spec, local] of [
    ['Flat', flat],
    ['HNSW32', hnsw],
  ] as const) {
    const remote = await throughGrpc(spec, data, queries, args);
    rows.push([
      spec,
      'search QPS, 1 query per call',
      fmt(local.singleQps),
      fmt(remote.singleQps),
      fmt(remote.singleQps / local.singleQps, 2),
    ]);
    rows.push([
      spec,
      'search QPS, 8 calls in flight',
      fmt(local.singleQps),
      fmt(remote.concurrentQps),
      fmt(remote.concurrentQps / local.singleQps, 2),
    ]);
    rows.push([
      spec,
      `search QPS, batch of ${args.queries}`,
      fmt(local.batchQps),
      fmt(remote.batchQps),
      fmt(remote.batchQps / local.batchQps, 2),
    ]);
    rows.push([
      spec,
      'upsert vectors/s (gRPC: batches of 1000)',
      fmt(local.addPerSecond, 0),
      fmt(remote.upsertPerSecond, 0),
      fmt(remote.upsertPerSecond / local.addPerSecond, 3),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log(`recall@${K} of HNSW32 against Flat (index default efSearch): ${fmt(recall, 3)}`);
  for (const line of sweep) console.log(`  HNSW32 in-process, ${line}`);
  console.log(
    '(in-process upsert = FaissIndex.add only; gRPC upsert = validation, Raft log fsync, LevelDB and FAISS)',
  );
}
