/**
 * Runs the deterministic Raft simulator over many seeds.
 *
 *   npm run sim -- --seeds 10000 [--start S] [--nodes 3|5] [--steps N] [--jobs J]
 *   npm run sim -- --seed 1234 --nodes 3 --verbose        (replay one seed with a trace)
 *
 * Without --nodes, odd seeds run 3 nodes and even seeds 5. Deliberately broken
 * variants (to see the checkers fire): --variant double-vote|figure8|two-changes|two-voters,
 * --fault forget-vote|send-before-persist|install-drops-last-entry|compact-beyond-snapshot|
 * timeout-now-early;
 * --profile '<json>' overrides the random fault profile (e.g.
 * '{"preVote":false,"lossRate":0.3}', or '{"snapshotThreshold":0}' for no snapshots,
 * '{"membershipInterval":0}' for no membership changes).
 *
 * Exit code 1 if any seed violates a property; each failure is printed with the
 * seed, the property, and a one-line reproduction command.
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  doubleVotingFactory,
  figure8Factory,
  twoChangesFactory,
  twoVotersFactory,
} from './sim/broken.js';
import { DEFAULT_STEPS, type SimOptions, type SimProfile } from './sim/options.js';
import { runSimulation, type SimResult, type SimStats } from './sim/simulator.js';

const FAULTS = [
  'forget-vote',
  'send-before-persist',
  'install-drops-last-entry',
  'compact-beyond-snapshot',
  'timeout-now-early',
] as const;
type Fault = (typeof FAULTS)[number];
const VARIANTS = ['double-vote', 'figure8', 'two-changes', 'two-voters'] as const;
type Variant = (typeof VARIANTS)[number];

interface CliArgs {
  seeds: number;
  start: number;
  nodes: 3 | 5 | undefined;
  steps: number;
  jobs: number;
  verbose: boolean;
  failFast: boolean;
  variant: Variant | undefined;
  fault: Fault | undefined;
  /** Skip the single-server rule checks at the leader (to see what catches a broken rule). */
  noRuleChecks: boolean;
  /** JSON overrides of the per-seed random profile (see SimProfile). */
  profile: string | undefined;
}

function usage(message?: string): never {
  if (message !== undefined) console.error(`error: ${message}`);
  console.error(
    'usage: npm run sim -- [--seeds N] [--start S] [--seed S] [--nodes 3|5] [--steps N] [--jobs J] [--verbose] [--fail-fast]\n' +
      `                      [--variant ${VARIANTS.join('|')}] [--fault ${FAULTS.join('|')}] [--profile '<json>']\n` +
      '                      [--no-single-server-rules]',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = {
    seeds: 100,
    start: 1,
    nodes: undefined,
    steps: DEFAULT_STEPS,
    jobs: availableParallelism(),
    verbose: false,
    failFast: false,
    variant: undefined,
    fault: undefined,
    noRuleChecks: false,
    profile: undefined,
  };
  const int = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isSafeInteger(n) || n < 0)
      usage(`${flag} needs a non-negative integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    switch (a) {
      case '--seeds':
        args.seeds = int(a, v);
        i++;
        break;
      case '--start':
        args.start = int(a, v);
        i++;
        break;
      case '--seed':
        args.start = int(a, v);
        args.seeds = 1;
        i++;
        break;
      case '--nodes': {
        const n = int(a, v);
        if (n !== 3 && n !== 5) usage('--nodes must be 3 or 5');
        args.nodes = n;
        i++;
        break;
      }
      case '--steps':
        args.steps = int(a, v);
        i++;
        break;
      case '--jobs':
        args.jobs = Math.max(1, int(a, v));
        i++;
        break;
      case '--verbose':
        args.verbose = true;
        break;
      case '--no-single-server-rules':
        args.noRuleChecks = true;
        break;
      case '--fail-fast':
        args.failFast = true;
        break;
      case '--variant':
        if (!VARIANTS.includes(v as Variant))
          usage(`--variant must be one of ${VARIANTS.join(', ')}`);
        args.variant = v as Variant;
        i++;
        break;
      case '--fault':
        if (!FAULTS.includes(v as Fault)) usage(`--fault must be one of ${FAULTS.join(', ')}`);
        args.fault = v as Fault;
        i++;
        break;
      case '--profile':
        if (v === undefined) usage('--profile needs a JSON object');
        try {
          JSON.parse(v);
        } catch {
          usage('--profile needs a JSON object, e.g. \'{"lossRate":0.3,"preVote":false}\'');
        }
        args.profile = v;
        i++;
        break;
      case '--help':
      case '-h':
        usage();
        break;
      default:
        usage(`unknown argument ${a}`);
    }
  }
  return args;
}

const nodesFor = (args: CliArgs, seed: number): 3 | 5 => args.nodes ?? (seed % 2 === 0 ? 5 : 3);

function optionsFor(args: CliArgs, seed: number): SimOptions {
  return {
    seed,
    nodes: nodesFor(args, seed),
    steps: args.steps,
    verbose: args.verbose,
    ...(args.variant === 'double-vote' ? { nodeFactory: doubleVotingFactory } : {}),
    ...(args.variant === 'figure8' ? { nodeFactory: figure8Factory } : {}),
    ...(args.variant === 'two-changes' ? { nodeFactory: twoChangesFactory } : {}),
    ...(args.variant === 'two-voters' ? { nodeFactory: twoVotersFactory } : {}),
    ...(args.noRuleChecks ? { checkSingleServerRules: false } : {}),
    ...(args.fault === 'forget-vote' ? { faults: { forgetVoteOnCrash: true } } : {}),
    ...(args.fault === 'send-before-persist' ? { faults: { sendBeforePersist: true } } : {}),
    ...(args.fault === 'install-drops-last-entry'
      ? { faults: { installDropsLastEntry: true } }
      : {}),
    ...(args.fault === 'compact-beyond-snapshot' ? { faults: { compactBeyondSnapshot: 3 } } : {}),
    ...(args.fault === 'timeout-now-early' ? { faults: { timeoutNowEarly: true } } : {}),
    ...(args.profile !== undefined
      ? { profile: JSON.parse(args.profile) as Partial<SimProfile> }
      : {}),
  };
}

function reproduction(args: CliArgs, seed: number): string {
  const parts = ['npm run sim --', '--seed', String(seed), '--nodes', String(nodesFor(args, seed))];
  if (args.steps !== DEFAULT_STEPS) parts.push('--steps', String(args.steps));
  if (args.variant !== undefined) parts.push('--variant', args.variant);
  if (args.fault !== undefined) parts.push('--fault', args.fault);
  if (args.noRuleChecks) parts.push('--no-single-server-rules');
  if (args.profile !== undefined) parts.push('--profile', `'${args.profile}'`);
  parts.push('--verbose');
  return parts.join(' ');
}

/** The counters a worker reports per seed. */
const REPORTED = [
  'events',
  'acked',
  'elections',
  'crashes',
  'snapshotsTaken',
  'compactions',
  'snapshotsSent',
  'snapshotsInstalled',
  'snapshotCrashes',
  'unfinishedInstalls',
  'transfers',
  'transfersCompleted',
  'transfersToTarget',
  'transfersFailed',
  'transfersRefused',
  'transfersInterrupted',
  'proposalsRefusedTransferring',
  'leaseReads',
  'leaseReadsOnLease',
  'membershipProposed',
  'membershipCommitted',
  'membershipRefusedNoCommitInTerm',
  'membershipRefusedChangeInProgress',
  'membershipRefusedLearnerBehind',
  'membershipRefusedInvalid',
  'membershipRefusedTimedOut',
  'membershipRefusedNotLeader',
  'membershipTimedOut',
  'membershipLost',
  'nodesAdded',
  'learnersPromoted',
  'nodesRemoved',
  'leaderSelfRemovals',
  'nodesStarted',
  'nodesRetired',
  'quorumDecisions',
  'maxVoters',
] as const satisfies readonly (keyof SimStats)[];

/** Compact result sent from a worker. */
type WorkerReport = {
  seed: number;
  ok: boolean;
  property?: string;
  message?: string;
} & Pick<SimStats, (typeof REPORTED)[number]>;

function report(r: SimResult): WorkerReport {
  const counters = Object.fromEntries(REPORTED.map((k) => [k, r.stats[k]])) as Pick<
    SimStats,
    (typeof REPORTED)[number]
  >;
  return {
    seed: r.seed,
    ok: r.ok,
    ...(r.violation !== undefined
      ? { property: r.violation.property, message: r.violation.message }
      : {}),
    ...counters,
  };
}

// ---------------------------------------------------------------------------
// Worker mode: run every `stride`-th seed and report each result.
// ---------------------------------------------------------------------------

async function workerMain(args: CliArgs, offset: number, stride: number): Promise<void> {
  const send = (m: WorkerReport): Promise<void> =>
    new Promise((resolve) => {
      process.send!(m, () => resolve());
    });
  for (let seed = args.start + offset; seed < args.start + args.seeds; seed += stride) {
    await send(report(await runSimulation(optionsFor(args, seed))));
  }
  process.disconnect();
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const workerIdx = argv.indexOf('--worker');
  if (workerIdx >= 0) {
    const [offset, stride] = argv.slice(workerIdx + 1, workerIdx + 3).map(Number);
    const rest = [...argv.slice(0, workerIdx), ...argv.slice(workerIdx + 3)];
    await workerMain(parseArgs(rest), offset!, stride!);
    return;
  }
  const args = parseArgs(argv);
  const started = performance.now();
  const failures: WorkerReport[] = [];
  let done = 0;
  let events = 0;
  let acked = 0;
  let elections = 0;
  const totals = {
    crashes: 0,
    snapshotCrashes: 0,
    snapshotsTaken: 0,
    compactions: 0,
    snapshotsSent: 0,
    snapshotsInstalled: 0,
    unfinishedInstalls: 0,
    transfers: 0,
    transfersCompleted: 0,
    transfersToTarget: 0,
    transfersFailed: 0,
    transfersRefused: 0,
    transfersInterrupted: 0,
    proposalsRefusedTransferring: 0,
    leaseReads: 0,
    leaseReadsOnLease: 0,
    membershipProposed: 0,
    membershipCommitted: 0,
    membershipRefusedNoCommitInTerm: 0,
    membershipRefusedChangeInProgress: 0,
    membershipRefusedLearnerBehind: 0,
    membershipRefusedInvalid: 0,
    membershipRefusedTimedOut: 0,
    membershipRefusedNotLeader: 0,
    membershipTimedOut: 0,
    membershipLost: 0,
    nodesAdded: 0,
    learnersPromoted: 0,
    nodesRemoved: 0,
    leaderSelfRemovals: 0,
    nodesStarted: 0,
    nodesRetired: 0,
    quorumDecisions: 0,
  };
  /** Seeds that asked for a transfer, and those where one completed. */
  let seedsWithTransfers = 0;
  let seedsWithCompletedTransfers = 0;
  /** Seeds with a committed membership change; the most voters any committed configuration had. */
  let seedsWithMembershipChanges = 0;
  let maxVoters = 0;
  const onResult = (r: WorkerReport): void => {
    done++;
    events += r.events;
    acked += r.acked;
    elections += r.elections;
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
    if (r.transfers > 0) seedsWithTransfers++;
    if (r.transfersCompleted > 0) seedsWithCompletedTransfers++;
    if (r.membershipCommitted > 0) seedsWithMembershipChanges++;
    maxVoters = Math.max(maxVoters, r.maxVoters);
    if (!r.ok) {
      failures.push(r);
      console.log(
        `\nFAIL seed ${r.seed}: ${r.property}\n  ${r.message}\n  reproduce: ${reproduction(args, r.seed)}`,
      );
    }
  };

  const mode = args.nodes === undefined ? '3 and 5 nodes (odd/even seeds)' : `${args.nodes} nodes`;
  const variant = [args.variant, args.fault].filter((x) => x !== undefined).join(', ');
  console.log(
    `raft sim: seeds ${args.start}..${args.start + args.seeds - 1}, ${mode}, ${args.steps} chaos steps per seed` +
      `${variant ? `, BROKEN: ${variant}` : ''}${args.verbose || args.seeds === 1 ? '' : `, ${Math.min(args.jobs, args.seeds)} workers`}`,
  );

  if (args.verbose || args.seeds === 1 || args.jobs === 1) {
    for (let seed = args.start; seed < args.start + args.seeds; seed++) {
      const r = await runSimulation(optionsFor(args, seed));
      onResult(report(r));
      if (!r.ok && args.failFast) break;
      if (args.verbose)
        console.log(
          `seed ${seed}: ${r.ok ? 'ok' : 'FAIL'} ${JSON.stringify(r.stats)}\nprofile ${JSON.stringify(r.profile)}`,
        );
      else if (done % 500 === 0) progress();
    }
  } else {
    const jobs = Math.min(args.jobs, args.seeds);
    const self = fileURLToPath(import.meta.url);
    let lastProgress = performance.now();
    await Promise.all(
      Array.from({ length: jobs }, (_, k) => {
        const child = fork(self, [...argv, '--worker', String(k), String(jobs)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        return new Promise<void>((resolve, reject) => {
          child.on('message', (m: WorkerReport) => {
            onResult(m);
            if (!m.ok && args.failFast) child.kill();
            if (performance.now() - lastProgress > 15_000) {
              lastProgress = performance.now();
              progress();
            }
          });
          child.on('exit', (code, signal) => {
            if (code === 0 || (args.failFast && failures.length > 0)) resolve();
            else reject(new Error(`worker ${k} exited with ${code ?? signal}`));
          });
        });
      }),
    );
  }

  function progress(): void {
    const s = (performance.now() - started) / 1000;
    console.log(`  ${done}/${args.seeds} seeds, ${failures.length} failed, ${s.toFixed(1)} s`);
  }

  const secs = (performance.now() - started) / 1000;
  console.log(
    `\n${done} seeds in ${secs.toFixed(1)} s (${((secs * 1000) / Math.max(done, 1)).toFixed(1)} ms/seed): ` +
      `${done - failures.length} passed, ${failures.length} failed` +
      ` — ${events} events, ${elections} leader elections, ${acked} acknowledged writes checked` +
      `\n  ${totals.crashes} crashes (${totals.snapshotCrashes} at snapshot crash points), ${totals.snapshotsTaken} snapshots taken, ${totals.compactions} log compactions/resets, ${totals.snapshotsSent} snapshots sent, ${totals.snapshotsInstalled} installed, ${totals.unfinishedInstalls} restarts finishing an install` +
      `\n  ${totals.transfers} leadership transfers asked for in ${seedsWithTransfers} seeds: ${totals.transfersCompleted} completed (${totals.transfersToTarget} to the transferee) in ${seedsWithCompletedTransfers} seeds, ${totals.transfersFailed} timed out, ${totals.transfersRefused} refused (not leader), ${totals.transfersInterrupted} interrupted by a crash or partition; ${totals.proposalsRefusedTransferring} writes refused while transferring` +
      `\n  ${totals.leaseReads} lease reads (${totals.leaseReadsOnLease} asked while the lease held)` +
      `\n  membership: ${totals.membershipProposed} changes asked for, ${totals.membershipCommitted} committed in ${seedsWithMembershipChanges} seeds (${totals.nodesAdded} learners added, ${totals.learnersPromoted} promoted, ${totals.nodesRemoved} members removed, ${totals.leaderSelfRemovals} of them by the leader itself; up to ${maxVoters} voters)` +
      `; refused: ${totals.membershipRefusedNoCommitInTerm} no-commit-in-term, ${totals.membershipRefusedChangeInProgress} change-in-progress, ${totals.membershipRefusedLearnerBehind} learner-behind, ${totals.membershipRefusedInvalid} invalid-change, ${totals.membershipRefusedTimedOut} timed-out (promotion), ${totals.membershipRefusedNotLeader} not leader` +
      `; ${totals.membershipTimedOut} past their deadline, ${totals.membershipLost} lost` +
      `\n  ${totals.nodesStarted} fresh nodes started, ${totals.nodesRetired} stopped for good after leaving; ${totals.quorumDecisions} elections and commits checked against a majority of their configuration`,
  );
  if (failures.length > 0) {
    console.log('\nFailures:');
    for (const f of failures.slice(0, 20))
      console.log(`  seed ${f.seed}: ${f.property} — reproduce: ${reproduction(args, f.seed)}`);
    if (failures.length > 20) console.log(`  … and ${failures.length - 20} more`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
