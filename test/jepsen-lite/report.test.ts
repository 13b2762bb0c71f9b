/**
 * report.html: escaping and structure checked on the string, then the page opened
 * in a real headless Chromium (Debian's `chromium`, installed by scripts/setup.sh)
 * to check that its script draws the charts without error and that a screenshot
 * shows them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../jepsen-lite/checker/history.js';
import type { ReportData } from '../../jepsen-lite/report/data.js';
import { renderReport } from '../../jepsen-lite/report/html.js';
import { COLOURS } from '../../jepsen-lite/report/style.js';
import type {
  FaultWindow,
  LatencySummary,
  OutcomeCounts,
  RunResults,
} from '../../jepsen-lite/results.js';
import { colourHistogram, decodePng, PNG_SIGNATURE } from '../support/png.js';
import { mulberry32 } from '../support/random.js';
import { history } from './history-builder.js';

const execFileAsync = promisify(execFile);

const NASTY = '</script><img src=x onerror=alert(1)>';

/** RunResults for `events` with the counts filled in; the rest as given. */
function resultsFor(events: readonly HistoryEvent[], over: Partial<RunResults> = {}): RunResults {
  const byFunction: Record<string, OutcomeCounts> = {};
  const total: OutcomeCounts = { ok: 0, fail: 0, info: 0 };
  for (const e of events) {
    if (e.type === 'invoke') continue;
    const c = (byFunction[e.f] ??= { ok: 0, fail: 0, info: 0 });
    c[e.type]++;
    total[e.type]++;
  }
  return {
    valid: true,
    workload: 'register',
    nemeses: [],
    seed: 1,
    nodes: 3,
    timeSeconds: 10,
    startedAt: '2025-01-01T00:00:00.000Z',
    counts: { total, byFunction },
    anomalies: [],
    faults: [],
    latency: {},
    unavailability: [],
    recoveryAfterHealMs: null,
    checks: {},
    unsafeFlags: [],
    ...over,
  };
}

function embeddedData(html: string): ReportData {
  const match = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  if (match?.[1] === undefined) throw new Error('no embedded report data');
  return JSON.parse(match[1]) as ReportData;
}

function count(text: string, re: RegExp): number {
  return (text.match(re) ?? []).length;
}

describe('renderReport', () => {
  const h = history()
    .write(0, 'k1', NASTY)
    .write(1, `k"2'&`, 'v2')
    .ok(0)
    .read(2, 'k1')
    .ok(2, NASTY)
    .info(1)
    .write(3, 'k1', 'v3');
  const faults: FaultWindow[] = [
    {
      nemesis: 'partition',
      detail: 'partition <majorities-ring>',
      nodes: ['n1', 'n2'],
      start: 1,
      end: 3,
    },
    { nemesis: 'kill', detail: 'kill n2 (leader)', nodes: ['n2'], start: 4, end: null },
  ];
  const results = resultsFor(h.events, {
    valid: false,
    nemeses: ['partition', 'kill'],
    faults,
    anomalies: [
      {
        kind: 'non-linearizable',
        phase: 'history',
        key: NASTY,
        message: `read ${NASTY} & "more"`,
        events: [0, 4, 5, 999],
      },
    ],
    checks: { history: { valid: false, summary: `1 anomaly on ${NASTY}` } },
    unsafeFlags: ['--unsafe-no-fsync'],
  });
  const html = renderReport(results, h.events);

  it('escapes history text so that nothing breaks out of its element', () => {
    expect(html).not.toContain('<img');
    expect(html).not.toContain(NASTY);
    expect(count(html, /<script\b/gi)).toBe(2);
    expect(count(html, /<\/script/gi)).toBe(2);
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('k&quot;2&#39;&amp;');
    // The embedded JSON still carries the exact values.
    const data = embeddedData(html);
    expect(data.ops.find((op) => op.invokeIndex === 0)?.value).toBe(NASTY);
    expect(data.ops.find((op) => op.invokeIndex === 3)?.result).toBe(NASTY);
  });

  it('links each event of an anomaly to an op-<index> anchor and lists it in a table', () => {
    const data = embeddedData(html);
    for (const index of [0, 4]) {
      expect(html).toContain(`href="#op-${index}" data-ops="${index}"`);
      expect(html).toContain(`<tr data-event="${index}" class="listed">`);
      const anchor = data.anchors.find(([i]) => i === index);
      const op = anchor === undefined ? undefined : data.ops[anchor[1]];
      expect([op?.invokeIndex, op?.completeIndex]).toContain(index);
    }
    // The other halves of those operations are shown too, not bold.
    expect(html).toContain('<tr data-event="2">');
    expect(html).toContain('<tr data-event="3">');
    expect(html).toContain('data-ops="0,4,5"');
    expect(html).toContain('Not in the history: #999');
  });

  it('shows the fault windows, open ones as never healed', () => {
    expect(html).toContain('partition &lt;majorities-ring&gt;');
    expect(html).toContain('kill n2 (leader)');
    expect(html).toContain('never healed');
    expect(embeddedData(html).faults).toEqual(faults);
  });

  it('shows the verdict and the unsafe flags', () => {
    expect(html).toContain('<span class="verdict invalid">INVALID</span>');
    expect(html).toContain('UNSAFE FLAGS: <code>--unsafe-no-fsync</code>');
    expect(renderReport(resultsFor([], { valid: 'unknown' }), [])).toContain('UNKNOWN');
    expect(renderReport(resultsFor([]), [])).toContain('VALID');
  });

  it('refers to no URL: links are fragments, nothing is loaded', () => {
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/<[a-z][^>]*\ssrc=/i);
    const links = [...html.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link).toMatch(/^#/);
    expect(html).toContain(`content="default-src 'none';`);
  });

  it('draws operations that never completed as unknown, and tolerates a malformed history', () => {
    const data = embeddedData(html);
    const open = data.ops.find((op) => op.invokeIndex === 6);
    expect(open).toMatchObject({ outcome: 'info', end: null });
    expect(data.ops.find((op) => op.invokeIndex === 1)).toMatchObject({ outcome: 'info', end: 5 });

    const orphan: HistoryEvent[] = [{ index: 0, process: 0, type: 'ok', f: 'write', time: 0 }];
    expect(() => renderReport(resultsFor(orphan), orphan)).not.toThrow();
  });
  it('keeps an indeterminate write open to the end, not an indeterminate read', () => {
    const events: HistoryEvent[] = [
      { index: 0, process: 0, type: 'invoke', f: 'write', key: 'k', value: 'a', time: 0 },
      { index: 1, process: 1, type: 'invoke', f: 'read', key: 'k', time: 1 },
      { index: 2, process: 0, type: 'info', f: 'write', key: 'k', time: 10 },
      { index: 3, process: 1, type: 'info', f: 'read', key: 'k', time: 11 },
      { index: 4, process: 2, type: 'invoke', f: 'final-get', time: 12 },
      { index: 5, process: 2, type: 'info', f: 'final-get', time: 13 },
    ];
    const data = embeddedData(renderReport(resultsFor(events), events));
    expect(data.ops.map((op) => [op.f, op.mayTakeEffectLater])).toEqual([
      ['write', true],
      ['read', false],
      ['final-get', false],
    ]);
  });
});

/** A run of ~300 operations over 10 processes with two faults and one anomaly. */
function syntheticRun(): { results: RunResults; events: HistoryEvent[] } {
  const random = mulberry32(42);
  const runMs = 10_000;
  const faults: FaultWindow[] = [
    {
      nemesis: 'partition',
      detail: 'partition majorities-ring',
      nodes: ['n1', 'n2', 'n3'],
      start: 2_000,
      end: 4_500,
    },
    { nemesis: 'kill', detail: 'kill n2 (leader)', nodes: ['n2'], start: 6_500, end: null },
  ];
  const inFault = (t: number): boolean =>
    faults.some((w) => t >= w.start && (w.end === null || t < w.end));

  type Draft = Omit<HistoryEvent, 'index'> & { order: number };
  const drafts: Draft[] = [];
  const push = (event: Omit<Draft, 'order'>): void => {
    drafts.push({ ...event, order: drafts.length });
  };
  let nastyWrite = -1;
  for (let process = 0; process < 10; process++) {
    let t = random() * 100;
    for (let n = 0; t < runMs; n++) {
      const f = random() < 0.5 ? 'write' : random() < 0.8 ? 'read' : 'delete';
      const key = `k${Math.floor(random() * 3)}`;
      const value =
        f === 'write' ? (process === 0 && n === 5 ? NASTY : `v${process}-${n}`) : undefined;
      if (value === NASTY) nastyWrite = drafts.length;
      push({ process, type: 'invoke', f, key, value, time: t });
      const slow = inFault(t);
      const end = t + (slow ? 150 + random() * 900 : 20 + random() * 100);
      if (process === 7 && n === 30) break; // never completes
      const node = `n${1 + Math.floor(random() * 3)}`;
      if (process === 3 && n === 12) {
        push({ process, type: 'info', f, key, time: end, error: 'DEADLINE_EXCEEDED' });
        break; // a process never invokes again after info
      }
      const outcome = random() < (slow ? 0.4 : 0.05) ? 'fail' : 'ok';
      if (outcome === 'fail') {
        push({ process, type: 'fail', f, key, time: end, node, error: 'UNAVAILABLE: no leader' });
      } else {
        const read = f === 'read' ? (random() < 0.2 ? null : `v${process}-${n - 1}`) : undefined;
        push({ process, type: 'ok', f, key, value: read, time: end, node });
      }
      t = end + 20 + random() * 120;
    }
  }
  drafts.sort((a, b) => a.time - b.time || a.order - b.order);
  const events: HistoryEvent[] = drafts.map(({ order: _order, ...event }, index) => ({
    ...event,
    index,
  }));

  const nastyIndex = drafts.findIndex((d) => d.order === nastyWrite);
  const readOk = events.find((e) => e.type === 'ok' && e.f === 'read' && e.time > 7_000);
  const readInvoke = [...events]
    .reverse()
    .find(
      (e) => e.type === 'invoke' && e.process === readOk?.process && e.index < (readOk?.index ?? 0),
    );
  if (readOk === undefined || readInvoke === undefined)
    throw new Error('synthetic run has no read');

  const latency: Record<string, LatencySummary> = {};
  for (const f of ['write', 'read', 'delete']) {
    latency[f] = { count: 10, p50: 40, p90: 90, p99: 600, max: 1_020 };
  }
  const results = resultsFor(events, {
    valid: false,
    nemeses: ['partition', 'kill'],
    seed: 42,
    nodes: 3,
    faults,
    latency,
    anomalies: [
      {
        kind: 'non-linearizable',
        phase: 'history',
        key: 'k1',
        message: 'read <b>stale</b> & "old" value',
        events: [nastyIndex, readInvoke.index, readOk.index],
      },
    ],
    unavailability: [{ start: 6_500, end: 7_200, durationMs: 700 }],
    recoveryAfterHealMs: null,
    checks: {
      history: { valid: false, summary: '1 non-linearizable key' },
      'final-read': { valid: true, summary: 'all nodes agree' },
    },
  });
  return { results, events };
}

async function requireChromium(): Promise<void> {
  try {
    await execFileAsync('chromium', ['--version'], { timeout: 30_000 });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(
      `this test needs Debian's chromium to open the report in a real browser: run scripts/setup.sh (it installs it), or apt-get install chromium (${detail})`,
      { cause: err },
    );
  }
}

/** Runs headless Chromium on `args`; each run gets a fresh profile directory. */
async function chromium(dir: string, name: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(
    'chromium',
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--force-color-profile=srgb',
      '--hide-scrollbars',
      `--user-data-dir=${join(dir, `profile-${name}`)}`,
      ...args,
    ],
    { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

describe('report in a real headless browser', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('draws the timeline and the latency chart without script errors', async () => {
    await requireChromium();
    const dir = await mkdtemp(join(tmpdir(), 'jepsen-report-'));
    dirs.push(dir);
    const { results, events } = syntheticRun();
    const page = join(dir, 'report.html');
    await writeFile(page, renderReport(results, events));
    const url = pathToFileURL(page).href;
    const processes = new Set(events.map((e) => e.process)).size;
    expect(processes).toBe(10);
    expect(events.length).toBeGreaterThan(500);

    // Opening the page on an anomaly's anchor also runs the selection code.
    const first = results.anomalies[0]?.events[0];
    const dom = await chromium(dir, 'dom', ['--dump-dom', `${url}#op-${first}`]);
    expect(dom).not.toContain('id="render-error"');
    expect(dom).toMatch(/<body[^>]*data-rendered="true"/);
    expect(count(dom, /<g class="lane" /g)).toBe(processes);
    expect(count(dom, /class="bars-ok"/g)).toBe(processes);
    expect(dom).toContain('class="bars-fail"');
    expect(dom).toContain('class="bars-info"');
    expect(dom).toContain('class="bars-unknown"');
    expect(dom).toContain('class="latency-dots"');
    for (const i of [0, 1]) expect(count(dom, new RegExp(`data-fault="${i}"`, 'g'))).toBe(2);
    for (const index of results.anomalies[0]?.events ?? []) {
      expect(dom).toContain(`id="op-${index}"`);
    }
    expect(dom).toMatch(new RegExp(`id="op-${first}" class="anchor selected"`));
    expect(dom).not.toContain('<img');

    const png = join(dir, 'report.png');
    await chromium(dir, 'shot', [`--screenshot=${png}`, '--window-size=1400,1000', url]);
    const file = await readFile(png);
    expect(file.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const image = decodePng(file);
    expect(image.width).toBe(1400);
    expect(image.height).toBe(1000);
    const colours = colourHistogram(image);
    expect(colours.size).toBeGreaterThan(8);
    // Far more than the legend's swatches: the bars are there.
    expect(colours.get(COLOURS.ok) ?? 0).toBeGreaterThan(2_000);
    expect(colours.get(COLOURS.fail) ?? 0).toBeGreaterThan(0);
    expect(colours.get(COLOURS.info) ?? 0).toBeGreaterThan(0);
    expect(colours.get(COLOURS.functions[0]) ?? 0).toBeGreaterThan(0);
  });
});
