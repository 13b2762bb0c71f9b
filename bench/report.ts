/**
 * One small reporter for benchmark figures: every figure goes through
 * `report.figure(...)`, with the baseline it is compared to (measured in the
 * same run: these machines are shared and noisy, so only ratios compare across
 * runs), the ratio, and the goal the ratio (or the value) should meet.
 *
 * Humans get aligned tables, one per section, printed when the section ends;
 * with `--json [PATH]` the same figures are also written as one JSON document
 * (`ReportDocument`): to PATH, or to stdout with the human output on stderr.
 *
 *   const report = new Report('search', { json: { path: undefined } });
 *   report.section('gRPC floor');
 *   const floor = report.figure('bare grpc-js unary round trip', 480, 'µs');
 *   report.figure('raftvec Health.Check round trip', 610, 'µs', {
 *     baseline: floor,
 *     goal: { op: '<=', value: 1.25 },
 *   });
 *   await report.finish();
 *
 * A bench adopts it by taking `BenchOptions` (bench/run.ts parses `--json`) and
 * writing through a `Report` instead of console.log.
 */
import { writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** What bench/run.ts hands every benchmark. */
export interface BenchOptions {
  /** `--json [PATH]` was given: path undefined = write the document to stdout. */
  json?: { path: string | undefined };
}

/** A bad command line: bench/run.ts prints just the message and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Each command-line argument of a bench (`arg`) as a flag, its `--flag=value` text if
 * any (`inline`), and the function that takes its value: `inline`, else the next
 * argument (consumed).
 */
export function* flagsOf(argv: readonly string[]): Generator<{
  arg: string;
  flag: string;
  inline: string | undefined;
  value: () => string | undefined;
}> {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split('=', 2) : [arg];
    yield { arg, flag: flag!, inline, value: () => inline ?? argv[++i] };
  }
}

/**
 * A reader of integer option values for one bench: `--n 100_000` style, within
 * [min, max], or a UsageError naming the option and ending with `usage`.
 */
export function integerOption(
  usage: string,
): (name: string, text: string | undefined, min: number, max: number) => number {
  return (name, text, min, max) => {
    if (text === undefined || text.startsWith('--'))
      throw new UsageError(`${name} needs a value\n${usage}`);
    const value = Number(text.replace(/_/g, ''));
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new UsageError(
        `${name} must be an integer from ${min} to ${max.toLocaleString('en-US')}, got "${text}"\n${usage}`,
      );
    }
    return value;
  };
}

/**
 * Takes `--json [PATH]` out of a benchmark's arguments. PATH is the next
 * argument unless it starts with "--".
 */
export function takeJsonOption(argv: readonly string[]): {
  argv: string[];
  json: BenchOptions['json'];
} {
  const rest: string[] = [];
  let json: BenchOptions['json'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json' || arg.startsWith('--json=')) {
      if (json !== undefined) throw new UsageError('--json given twice');
      if (arg.startsWith('--json=')) {
        json = { path: arg.slice('--json='.length) || undefined };
      } else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          json = { path: next };
          i++;
        } else {
          json = { path: undefined };
        }
      }
    } else {
      rest.push(arg);
    }
  }
  return { argv: rest, json };
}

export type GoalOp = '>=' | '<=';

export interface Goal {
  op: GoalOp;
  value: number;
  /** What the goal is about: the ratio (default when there is a baseline) or the value itself. */
  on?: 'ratio' | 'value';
}

/** A baseline: any figure (as `figure()` returns it) or a name and a value. */
export interface BaselineRef {
  name: string;
  value: number | null;
  unit?: string;
}

export interface FigureOptions {
  /** A stable id for comparing runs (slugged; default: the name; made unique within the report). */
  key?: string;
  baseline?: BaselineRef;
  /** Defaults to value / baseline.value. */
  ratio?: number;
  goal?: Goal;
  /** Decimals of the value in the human table (default: by magnitude). */
  digits?: number;
  note?: string;
}

export interface FigureRecord {
  /** Stable id of the figure (see FigureOptions.key). */
  key: string;
  section: string;
  name: string;
  /** null when not a finite number (e.g. nothing measured). */
  value: number | null;
  unit: string;
  baseline?: { name: string; value: number | null; unit: string };
  ratio?: number | null;
  goal?: { op: GoalOp; value: number; on: 'ratio' | 'value' };
  /** Whether the goal is met (absent without a goal, null if the figure is missing). */
  met?: boolean | null;
  note?: string;
}

export interface ReportDocument {
  bench: string;
  timestamp: string;
  params: Record<string, unknown>;
  environment: Record<string, unknown>;
  figures: FigureRecord[];
  notes: { section: string; text: string }[];
  skipped: { section: string; reason: string }[];
  attachments: Record<string, string>;
  durationSeconds: number;
}

const finite = (n: number | null | undefined): number | null =>
  typeof n === 'number' && Number.isFinite(n) ? n : null;

/** A value with decimals by magnitude: 1234 → "1,234", 12.3 → "12.3", 0.987 → "0.987". */
export function formatNumber(n: number | null, digits?: number): string {
  if (n === null) return '—';
  const abs = Math.abs(n);
  const d = digits ?? (abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
  return n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
}

const formatRatio = (r: number | null): string => {
  if (r === null) return '—';
  const abs = Math.abs(r);
  return formatNumber(r, abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 0.1 ? 2 : 3);
};

/** "Flat: QPS, 8 calls in flight" → "flat-qps-8-calls-in-flight". */
export const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

const withUnit = (value: string, unit: string): string =>
  unit === '' ? value : `${value} ${unit}`;

function goalMet(goal: Goal, subject: number | null): boolean | null {
  if (subject === null) return null;
  return goal.op === '>=' ? subject >= goal.value : subject <= goal.value;
}

interface Section {
  title: string;
  figures: FigureRecord[];
  digits: Map<FigureRecord, number | undefined>;
  lines: string[];
}

export class Report {
  readonly bench: string;
  /** Where human output goes: stderr when the JSON document goes to stdout. */
  readonly human: Writable;
  readonly #json: BenchOptions['json'];
  readonly #started = Date.now();
  readonly #figures: FigureRecord[] = [];
  readonly #keys = new Set<string>();
  readonly #notes: { section: string; text: string }[] = [];
  readonly #skipped: { section: string; reason: string }[] = [];
  readonly #attachments: Record<string, string> = {};
  #params: Record<string, unknown> = {};
  #environment: Record<string, unknown> = {};
  #section: Section | undefined;

  constructor(bench: string, options: BenchOptions = {}) {
    this.bench = bench;
    this.#json = options.json;
    this.human = options.json && options.json.path === undefined ? process.stderr : process.stdout;
  }

  /** The run's parameters (sizes, seeds, options), recorded in the JSON document. */
  params(params: Record<string, unknown>): void {
    this.#params = { ...this.#params, ...params };
  }

  /** Where the run happened (versions, CPU, build variant), recorded in the JSON document. */
  environment(environment: Record<string, unknown>): void {
    this.#environment = { ...this.#environment, ...environment };
  }

  /** A line for humans right away (progress, headers); not part of the JSON document. */
  log(line = ''): void {
    this.human.write(`${line}\n`);
  }

  /** Starts a section: the previous one's table is printed. */
  section(title: string): void {
    this.#flushSection();
    this.#section = { title, figures: [], digits: new Map(), lines: [] };
  }

  #current(): Section {
    this.#section ??= { title: '', figures: [], digits: new Map(), lines: [] };
    return this.#section;
  }

  /** Records a figure; returns it, so it can be the baseline of later ones. */
  figure(name: string, value: number, unit: string, options: FigureOptions = {}): FigureRecord {
    const section = this.#current();
    const base = slug(options.key ?? name);
    let key = base;
    for (let i = 2; this.#keys.has(key); i++) key = `${base}-${i}`;
    this.#keys.add(key);
    const record: FigureRecord = { key, section: section.title, name, value: finite(value), unit };
    const { baseline } = options;
    if (baseline) {
      record.baseline = {
        name: baseline.name,
        value: finite(baseline.value),
        unit: baseline.unit ?? unit,
      };
      const ratio =
        options.ratio ??
        (record.value !== null && record.baseline.value !== null && record.baseline.value !== 0
          ? record.value / record.baseline.value
          : NaN);
      record.ratio = finite(ratio);
    } else if (options.ratio !== undefined) {
      record.ratio = finite(options.ratio);
    }
    if (options.goal) {
      const on = options.goal.on ?? (record.ratio !== undefined ? 'ratio' : 'value');
      record.goal = { op: options.goal.op, value: options.goal.value, on };
      record.met = goalMet(record.goal, on === 'ratio' ? (record.ratio ?? null) : record.value);
    }
    if (options.note !== undefined) {
      record.note = options.note;
      section.lines.push(`  note (${name}): ${options.note}`);
    }
    section.figures.push(record);
    section.digits.set(record, options.digits);
    this.#figures.push(record);
    return record;
  }

  /** A note printed under the current section's table, and kept in the JSON document. */
  note(text: string): void {
    const section = this.#current();
    section.lines.push(`  note: ${text}`);
    this.#notes.push({ section: section.title, text });
  }

  /** Says the current section (or a part of it) was skipped, and why. */
  skip(reason: string): void {
    const section = this.#current();
    section.lines.push(`  skipped: ${reason}`);
    this.#skipped.push({ section: section.title, reason });
  }

  /** A block of text (e.g. a markdown table) printed as is, and kept under `attachments[name]`. */
  attach(name: string, text: string): void {
    this.#attachments[name] = text;
    this.#current().lines.push(text);
  }

  #flushSection(): void {
    const section = this.#section;
    this.#section = undefined;
    if (!section || (section.figures.length === 0 && section.lines.length === 0)) return;
    this.log();
    if (section.title) this.log(`== ${section.title} ==`);
    if (section.figures.length > 0) {
      const rows: string[][] = [['figure', 'value', 'baseline', 'ratio', 'goal']];
      for (const f of section.figures) {
        const baseline = f.baseline
          ? `${f.baseline.name}: ${withUnit(formatNumber(f.baseline.value, section.digits.get(f)), f.baseline.unit)}`
          : '';
        let goal = '';
        if (f.goal) {
          const mark = f.met === null ? '?' : f.met ? 'met' : 'NOT met';
          const subject = f.goal.on === 'ratio' ? 'ratio' : 'value';
          goal = `${subject} ${f.goal.op} ${f.goal.value}: ${mark}`;
        }
        rows.push([
          f.name,
          withUnit(formatNumber(f.value, section.digits.get(f)), f.unit),
          baseline,
          f.ratio !== undefined ? formatRatio(f.ratio) : '',
          goal,
        ]);
      }
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      const right = new Set([1, 3]);
      for (const row of rows) {
        const cells = row.map((cell, c) =>
          right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!),
        );
        this.log(`  ${cells.join('  ').trimEnd()}`);
      }
    }
    for (const line of section.lines) this.log(line);
  }

  /** The JSON document of everything recorded so far. */
  document(): ReportDocument {
    return {
      bench: this.bench,
      timestamp: new Date(this.#started).toISOString(),
      params: this.#params,
      environment: this.#environment,
      figures: this.#figures,
      notes: this.#notes,
      skipped: this.#skipped,
      attachments: this.#attachments,
      durationSeconds: (Date.now() - this.#started) / 1000,
    };
  }

  /** Prints the last table and, with --json, writes the document. */
  async finish(): Promise<void> {
    this.#flushSection();
    if (!this.#json) return;
    const text = `${JSON.stringify(this.document(), null, 2)}\n`;
    if (this.#json.path === undefined) {
      await new Promise<void>((resolve, reject) =>
        process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
      );
    } else {
      writeFileSync(this.#json.path, text);
      this.log(`\nwrote ${this.#json.path}`);
    }
  }
}
