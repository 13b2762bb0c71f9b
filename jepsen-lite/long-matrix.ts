/**
 * The long matrix: every workload under every nemesis, on 3 and 5 nodes, written
 * as a Markdown table as it goes (the acceptance, and the figures of the README).
 *
 *   npm run jepsen:matrix -- [--time 300] [--nodes 3,5] [--out DIR]
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { NEMESES, PARTITION_SHAPES } from './nemesis.js';
import { runJepsen, WORKLOADS } from './run.js';
import type { RunResults } from './results.js';

const program = new Command('jepsen-lite-matrix')
  .option('--time <seconds>', 'fault phase of each run', (v) => Number(v), 300)
  .option('--nodes <list>', 'cluster sizes', (v) => v.split(',').map(Number), [3, 5])
  .option('--seed <n>', 'seed of the first run (each run adds one)', (v) => Number(v), 100)
  .option(
    '--out <dir>',
    'where the runs and summary.md go',
    join('jepsen-lite', 'results', 'matrix'),
  )
  .action(async (opts: { time: number; nodes: number[]; seed: number; out: string }) => {
    mkdirSync(opts.out, { recursive: true });
    const summary = join(opts.out, 'summary.md');
    writeFileSync(
      summary,
      '| nodes | workload | nemesis | verdict | ops (ok / fail / info) | anomalies | faults | longest unavailability | recovery after heal | p99 ok latency |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n',
    );
    let seed = opts.seed;
    let bad = 0;
    for (const nodes of opts.nodes)
      for (const workload of WORKLOADS)
        for (const nemesis of NEMESES) {
          const out = join(opts.out, `${nodes}n-${workload}-${nemesis}`);
          const runSeed = seed++;
          let results: RunResults;
          try {
            results = await runJepsen({
              workload,
              nemeses: [nemesis],
              partitionShapes: [...PARTITION_SHAPES],
              timeSeconds: opts.time,
              seed: runSeed,
              nodes: nodes === 5 ? 5 : 3,
              clients: 10,
              keys: 6,
              sessions: 'half',
              opTimeoutMs: 1_000,
              out,
              unsafe: [],
              keepData: false,
              log: (line) => console.error(`  ${line}`),
            });
          } catch (error) {
            // One run that fails (the harness, not the system) must not lose the others.
            bad++;
            const row = `| ${nodes} | ${workload} | ${nemesis} | **run failed** (seed ${runSeed}): ${error instanceof Error ? error.message : String(error)} | | | | | | |\n`;
            appendFileSync(summary, row);
            console.log(row.trim());
            continue;
          }
          if (results.valid !== true) bad++;
          const { total } = results.counts;
          const longest = Math.max(0, ...results.unavailability.map((u) => u.durationMs));
          const p99 = Math.max(...Object.values(results.latency).map((l) => l.p99));
          const row = `| ${nodes} | ${workload} | ${nemesis} | ${results.valid === true ? 'valid' : results.valid === false ? '**INVALID**' : 'unknown'} | ${total.ok} / ${total.fail} / ${total.info} | ${results.anomalies.length} | ${results.faults.length - 1} (seed ${runSeed}) | ${longest} ms | ${results.recoveryAfterHealMs ?? '-'} ms | ${Math.round(p99)} ms |\n`;
          appendFileSync(summary, row);
          console.log(row.trim());
        }
    console.log(`summary: ${summary}`);
    process.exitCode = bad === 0 ? 0 : 1;
  });

program.parseAsync().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(3);
  },
);
