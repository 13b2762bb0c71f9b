/**
 * The short matrix CI runs (npm run jepsen:ci, about 4 minutes on 2 cores): runs of
 * the real build under faults that must pass, and for each unsafe server flag a run
 * aimed at what it breaks, made twice: on the real build (must pass) and with the
 * flag (must be caught, with the anomaly it causes). Exits non-zero if any run does
 * not do what it should.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJepsen, type RunOptions, type UnsafeFlag } from './run.js';
import { PARTITION_SHAPES } from './nemesis.js';
import type { RunResults } from './results.js';

interface MatrixRun {
  name: string;
  options: Partial<RunOptions> & Pick<RunOptions, 'workload' | 'nemeses' | 'timeSeconds' | 'seed'>;
  /** undefined: must be valid; otherwise the anomaly kind the run must report. */
  mustFindAnomaly?: string;
}

/** A targeted run, first on the real build (must pass), then with one unsafe flag (must be caught). */
function twins(
  name: string,
  options: MatrixRun['options'],
  flag: UnsafeFlag,
  anomaly: string,
): MatrixRun[] {
  return [
    { name, options },
    {
      name: `${name}, ${flag} (broken)`,
      options: { ...options, unsafe: [flag] },
      mustFindAnomaly: anomaly,
    },
  ];
}

const MATRIX: MatrixRun[] = [
  {
    name: 'register + partition',
    options: { workload: 'register', nemeses: ['partition'], timeSeconds: 20, seed: 11 },
  },
  {
    name: 'set + kill',
    options: { workload: 'set', nemeses: ['kill'], timeSeconds: 20, seed: 12 },
  },
  // A paused leader that serves reads after the others moved on: stale reads.
  ...twins(
    'register + pause',
    { workload: 'register', nemeses: ['pause'], timeSeconds: 20, seed: 13 },
    'reads-without-read-index',
    'non-linearizable',
  ),
  // Writes acknowledged by an isolated leader are lost with it.
  ...twins(
    'set + leader isolated',
    {
      workload: 'set',
      nemeses: ['partition'],
      partitionShapes: ['leader-isolated'],
      timeSeconds: 12,
      seed: 14,
    },
    'ack-before-commit',
    'lost',
  ),
  // Commits slower than the client's deadline: session clients retry writes that applied.
  ...twins(
    'register + delay, all sessions, 100 ms attempts',
    {
      workload: 'register',
      nemeses: ['delay'],
      timeSeconds: 20,
      seed: 15,
      sessions: 'all',
      opTimeoutMs: 100,
    },
    'skip-session-table',
    'applied-twice',
  ),
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
