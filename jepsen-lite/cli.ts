/**
 * npm run jepsen -- --workload register|set|search --nemesis kill,pause,partition,delay,drop
 *                   [--partition leader-isolated,halves,bridge,majorities-ring,random]
 *                   --time 60 --seed 1 --nodes 3|5 [--clients 10] [--keys 6] [--sessions half|all|none]
 *                   [--op-timeout-ms 1000]
 *                   [--out DIR] [--unsafe FLAG,...] [--keep-data]
 *
 * Exit status: 0 valid, 1 an anomaly was found, 2 a checker ran out of budget
 * (unknown), 3 the run itself failed (usage, the cluster never answered).
 */
import { Command, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { NEMESES, PARTITION_SHAPES, type NemesisName, type PartitionShape } from './nemesis.js';
import { runJepsen, UNSAFE_FLAGS, WORKLOADS, type UnsafeFlag, type WorkloadName } from './run.js';

function positiveInt(name: string, max: number) {
  return (raw: string): number => {
    const v = Number(raw);
    if (!Number.isSafeInteger(v) || v < 1 || v > max)
      throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
    return v;
  };
}

function listOf<T extends string>(name: string, allowed: readonly T[]) {
  return (raw: string): T[] => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length === 0) throw new InvalidArgumentError(`give at least one ${name}`);
    for (const item of items)
      if (!allowed.includes(item as T))
        throw new InvalidArgumentError(
          `unknown ${name} "${item}"; choose from ${allowed.join(', ')}`,
        );
    return items as T[];
  };
}

const program = new Command('jepsen-lite')
  .description('run raftvec under faults, record every operation, and check the history')
  .requiredOption(
    '--workload <name>',
    `one of ${WORKLOADS.join(', ')}`,
    (raw: string): WorkloadName => {
      if (!WORKLOADS.includes(raw as WorkloadName))
        throw new InvalidArgumentError(`choose one of ${WORKLOADS.join(', ')}`);
      return raw as WorkloadName;
    },
  )
  .option(
    '--nemesis <list>',
    `comma-separated: ${NEMESES.join(', ')}; "none" for no faults`,
    (raw: string) => (raw === 'none' ? [] : listOf<NemesisName>('nemesis', NEMESES)(raw)),
    [] as NemesisName[],
  )
  .option(
    '--partition <shapes>',
    `partition shapes to pick from: ${PARTITION_SHAPES.join(', ')}`,
    listOf<PartitionShape>('partition shape', PARTITION_SHAPES),
    [...PARTITION_SHAPES],
  )
  .option('--time <seconds>', 'length of the fault phase', positiveInt('--time', 86_400), 60)
  .option('--seed <n>', 'seed of the faults and operations', positiveInt('--seed', 2 ** 31 - 1), 1)
  .option(
    '--nodes <n>',
    '3 or 5',
    (raw: string) => {
      if (raw !== '3' && raw !== '5') throw new InvalidArgumentError('--nodes must be 3 or 5');
      return Number(raw) as 3 | 5;
    },
    3 as 3 | 5,
  )
  .option(
    '--clients <n>',
    'concurrent clients (half of them with sessions)',
    positiveInt('--clients', 200),
    10,
  )
  .option('--keys <n>', 'keys of the register workload', positiveInt('--keys', 1_000), 6)
  .option(
    '--sessions <which>',
    'clients that use sessions: half, all, none',
    (raw: string) => {
      if (raw !== 'half' && raw !== 'all' && raw !== 'none')
        throw new InvalidArgumentError('--sessions must be half, all or none');
      return raw;
    },
    'half' as 'half' | 'all' | 'none',
  )
  .option(
    '--op-timeout-ms <ms>',
    'deadline of one attempt of an operation',
    positiveInt('--op-timeout-ms', 60_000),
    1_000,
  )
  .option('--out <dir>', 'results folder (default jepsen-lite/results/WORKLOAD-NEMESES-SEED-TIME)')
  .option(
    '--unsafe <list>',
    `server flags that break safety on purpose: ${UNSAFE_FLAGS.join(', ')}`,
    listOf<UnsafeFlag>('unsafe flag', UNSAFE_FLAGS),
    [] as UnsafeFlag[],
  )
  .option('--keep-data', "keep the nodes' data directories", false)
  .action(
    async (opts: {
      workload: WorkloadName;
      nemesis: NemesisName[];
      partition: PartitionShape[];
      time: number;
      seed: number;
      nodes: 3 | 5;
      clients: number;
      keys: number;
      sessions: 'half' | 'all' | 'none';
      opTimeoutMs: number;
      out?: string;
      unsafe: UnsafeFlag[];
      keepData: boolean;
    }) => {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const out =
        opts.out ??
        join(
          'jepsen-lite',
          'results',
          `${opts.workload}-${opts.nemesis.join('+') || 'none'}-${opts.nodes}n-seed${opts.seed}-${stamp}`,
        );
      const results = await runJepsen({
        workload: opts.workload,
        nemeses: opts.nemesis,
        partitionShapes: opts.partition,
        timeSeconds: opts.time,
        seed: opts.seed,
        nodes: opts.nodes,
        clients: opts.clients,
        sessions: opts.sessions,
        keys: opts.keys,
        opTimeoutMs: opts.opTimeoutMs,
        out,
        unsafe: opts.unsafe,
        keepData: opts.keepData,
        log: (line) => console.error(line),
      });
      const { total } = results.counts;
      console.log(
        `${results.valid === true ? 'VALID' : results.valid === false ? 'INVALID' : 'UNKNOWN'}: ${total.ok} ok, ${total.fail} fail, ${total.info} info; ${results.anomalies.length} anomalies; ${results.faults.length} faults; recovery after heal ${results.recoveryAfterHealMs ?? '-'} ms`,
      );
      for (const [name, check] of Object.entries(results.checks))
        console.log(
          `  ${check.valid === true ? 'ok  ' : check.valid === false ? 'FAIL' : '??  '} ${name}: ${check.summary}`,
        );
      for (const a of results.anomalies.slice(0, 10))
        console.log(`  anomaly ${a.kind} (${a.phase}): ${a.message}`);
      console.log(`results: ${out}/report.html`);
      process.exitCode = results.valid === true ? 0 : results.valid === false ? 1 : 2;
    },
  );

program.parseAsync().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(`jepsen-lite: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(3);
  },
);
