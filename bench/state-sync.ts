/**
 * The state store's fsync per applied entry, on vs off (the default since the log
 * can be compacted behind a durable snapshot): one `raftvec serve` node, the same
 * single-point upserts sent one at a time and by 16 concurrent clients, with
 * `--sync-state-writes` and without, in the same run.
 *
 *   npm run bench -- state-sync [--writes 300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RaftvecClient } from '../src/client/client.js';
import { freePort } from '../src/cli/local-cluster.js';
import { fmt, killAndWait, percentile, spawnServer, timed, waitServing } from './common.js';

const DIM = 128;

async function run(syncState: boolean, writes: number) {
  const root = mkdtempSync(join(tmpdir(), 'raftvec-bench-state-sync-'));
  const address = `127.0.0.1:${await freePort()}`;
  const child = spawnServer([
    'serve',
    '--listen',
    address,
    '--data',
    join(root, 'n1'),
    ...(syncState ? ['--sync-state-writes'] : []),
  ]);
  try {
    await waitServing(address);
    const setup = new RaftvecClient(address);
    await setup.createCollection('c', { dimension: DIM });
    setup.close();
    const vector = Array.from({ length: DIM }, (_, i) => i / DIM);
    const latencies: number[] = [];
    const client = new RaftvecClient(address);
    const single = await timed(async () => {
      for (let i = 0; i < writes; i++) {
        const t = process.hrtime.bigint();
        await client.upsert('c', [{ id: `s${i}`, vector }]);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    });
    client.close();
    const clients = Array.from({ length: 16 }, () => new RaftvecClient(address));
    const concurrent = await timed(() =>
      Promise.all(
        clients.map(async (c, k) => {
          for (let i = 0; i < writes / 4; i++) await c.upsert('c', [{ id: `c${k}-${i}`, vector }]);
        }),
      ),
    );
    for (const c of clients) c.close();
    latencies.sort((a, b) => a - b);
    return {
      singlePerSecond: writes / single.seconds,
      p50: percentile(latencies, 50),
      concurrentPerSecond: (16 * (writes / 4)) / concurrent.seconds,
    };
  } finally {
    await killAndWait(child, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
}

export async function runStateSyncBench(argv: readonly string[]): Promise<void> {
  const writesFlag = argv.indexOf('--writes');
  const writes = writesFlag >= 0 ? Number(argv[writesFlag + 1]) : 300;
  console.log(
    `state-sync: one node, ${writes} single-point upserts of ${DIM}-d, state fsync on vs off`,
  );
  const on = await run(true, writes);
  const off = await run(false, writes);
  console.log(
    `  one client:  fsync on ${fmt(on.singlePerSecond, 0)}/s (p50 ${fmt(on.p50, 2)} ms), off ${fmt(off.singlePerSecond, 0)}/s (p50 ${fmt(off.p50, 2)} ms): ${fmt(off.singlePerSecond / on.singlePerSecond, 2)}×`,
  );
  console.log(
    `  16 clients:  fsync on ${fmt(on.concurrentPerSecond, 0)}/s, off ${fmt(off.concurrentPerSecond, 0)}/s: ${fmt(off.concurrentPerSecond / on.concurrentPerSecond, 2)}×`,
  );
}
