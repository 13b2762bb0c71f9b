/**
 * The short matrix CI runs (npm run jepsen:ci, about 4 minutes on 2 cores): three
 * runs of the real build under faults that must pass, and one run per unsafe
 * server flag, each aimed at what that flag breaks, that must be caught with the
 * anomaly it causes. Exits non-zero if any run does not do what it should.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJepsen, type RunOptions } from './run.js';
import { PARTITION_SHAPES } from './nemesis.js';
import type { RunResults } from './results.js';

interface MatrixRun {
  name: string;
  options: Partial<RunOptions> & Pick<RunOptions, 'workload' | 'nemeses' | 'timeSeconds' | 'seed'>;
  /** undefined: must be valid; otherwise the anomaly kind the run must report. */
  mustFindAnomaly?: string;
}

const MATRIX: MatrixRun[] = [
  {
    name: 'register + partition',
    options: { workload: 'register', nemeses: ['partition'], timeSeconds: 25, seed: 11 },
  },
  {
    name: 'set + kill',
    options: { workload: 'set', nemeses: ['kill'], timeSeconds: 25, seed: 12 },
  },
  {
    name: 'register + pause',
    options: { workload: 'register', nemeses: ['pause'], timeSeconds: 20, seed: 13 },
  },
  {
    name: 'register + pause, reads without ReadIndex (broken)',
    options: {
      workload: 'register',
      nemeses: ['pause'],
      timeSeconds: 20,
      seed: 13,
      unsafe: ['reads-without-read-index'],
    },
    mustFindAnomaly: 'non-linearizable',
  },
  {
    name: 'set + leader isolated, ack before commit (broken)',
    options: {
      workload: 'set',
      nemeses: ['partition'],
      partitionShapes: ['leader-isolated'],
      timeSeconds: 15,
      seed: 14,
      unsafe: ['ack-before-commit'],
    },
    mustFindAnomaly: 'lost',
  },
  {
    name: 'register + delay, session table skipped (broken)',
    options: {
      workload: 'register',
      nemeses: ['delay'],
      timeSeconds: 20,
      seed: 15,
      sessions: 'all',
      opTimeoutMs: 100,
      unsafe: ['skip-session-table'],
    },
    mustFindAnomaly: 'applied-twice',
  },
];

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'jepsen-lite-ci-'));
  const verdicts: string[] = [];
  let failed = 0;
  for (const [i, run] of MATRIX.entries()) {
    const out = join(root, `${i + 1}-${run.options.workload}`);
    let results: RunResults;
    try {
      results = await runJepsen({
        nodes: 3,
        clients: 10,
        keys: 6,
        sessions: 'half',
        opTimeoutMs: 1_000,
        partitionShapes: [...PARTITION_SHAPES],
        unsafe: [],
        keepData: false,
        out,
        log: (line) => console.error(`  ${line}`),
        ...run.options,
      });
    } catch (error) {
      failed++;
      const verdict = `FAIL ${run.name}: the run failed: ${error instanceof Error ? error.message : String(error)}`;
      verdicts.push(verdict);
      console.log(verdict);
      continue;
    }
    const kinds = new Set(results.anomalies.map((a) => a.kind));
    // A must-pass run proves something only if faults happened and operations succeeded.
    const exercised =
      results.faults.length > 1 &&
      results.counts.total.ok > 0 &&
      results.recoveryAfterHealMs !== null;
    const ok =
      run.mustFindAnomaly === undefined
        ? results.valid === true && exercised
        : results.valid === false && kinds.has(run.mustFindAnomaly);
    if (!ok) failed++;
    const { total } = results.counts;
    const verdict = `${ok ? 'ok  ' : 'FAIL'} ${run.name}: ${results.valid === true ? 'valid' : results.valid === false ? `invalid (${[...kinds].join(', ')})` : 'unknown'}; ${total.ok} ok, ${total.fail} fail, ${total.info} info; ${results.faults.length} faults; ${out}/report.html`;
    verdicts.push(verdict);
    console.log(verdict);
  }
  console.log(`\njepsen-lite CI matrix:\n${verdicts.join('\n')}`);
  if (failed > 0) {
    console.error(`${failed} of ${MATRIX.length} runs did not do what they must`);
    process.exit(1);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(3);
  },
);
