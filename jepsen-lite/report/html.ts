/**
 * report.html: one self-contained page (inline CSS, JS and SVG, no URL of any
 * kind, works from file://) showing a jepsen-lite run. The header and the anomaly
 * tables are HTML rendered here; the timeline and the latency chart are drawn in
 * the browser by script.ts from data embedded as JSON (see data.ts).
 */
import { createHash } from 'node:crypto';
import type { HistoryEvent } from '../checker/history.js';
import type { Anomaly, OutcomeCounts, RunResults } from '../results.js';
import { buildReportData, pairForReport, type PairedHistory } from './data.js';
import { escapeHtml as esc, jsonForScript } from './escape.js';
import { REPORT_SCRIPT } from './script.js';
import { REPORT_CSS } from './style.js';

/** An anomaly's table shows at most this many of its operations; results.json has them all. */
const OPERATIONS_SHOWN_PER_ANOMALY = 50;

export function renderReport(results: RunResults, events: readonly HistoryEvent[]): string {
  const paired = pairForReport(events);
  const data = buildReportData(results, events, paired);
  const eventsByIndex = new Map(events.map((e) => [e.index, e]));
  const verdict = verdictOf(results.valid);
  // Only the page's own script may run (by hash), and nothing may be fetched: should
  // some history text ever slip past the escaping, it still cannot run or load anything.
  const scriptHash = createHash('sha256').update(REPORT_SCRIPT).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`jepsen-lite ${results.workload}: ${verdict.label}`)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${renderHeader(results, paired)}
<section id="timeline-section">
<h2>Timeline</h2>
<p class="muted">One lane per process; a bar runs from invoke to completion. Shaded: fault windows. Hover for details.</p>
<div class="controls"><div id="legend" class="legend"></div>
<label>zoom <select id="zoom"><option value="1">1×</option><option value="2">2×</option><option value="4">4×</option><option value="8">8×</option><option value="16">16×</option></select></label></div>
<div id="timeline" class="chart"><svg id="timeline-svg" role="img" aria-label="timeline of operations per process"></svg></div>
<noscript><p>The timeline and the latency chart are drawn by JavaScript.</p></noscript>
</section>
<section id="latency-section">
<h2>Latency of ok operations</h2>
<p class="muted">Latency (log scale) against completion time, coloured by function. Shaded: fault windows.</p>
<div id="latency" class="chart"><svg id="latency-svg" role="img" aria-label="latency of ok operations over time"></svg></div>
</section>
${renderAnomalies(results.anomalies, paired, eventsByIndex)}
<div id="tooltip" hidden></div>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

function verdictOf(valid: boolean | 'unknown'): { label: string; cls: string } {
  if (valid === 'unknown') return { label: 'UNKNOWN', cls: 'unknown' };
  return valid ? { label: 'VALID', cls: 'valid' } : { label: 'INVALID', cls: 'invalid' };
}

function fmtTime(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
}

function card(title: string, body: string): string {
  return `<div class="card"><h3>${esc(title)}</h3>${body}</div>`;
}

function table(head: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string {
  const cell = (tag: string, content: string, i: number): string =>
    `<${tag}${numeric.has(i) ? ' class="num"' : ''}>${content}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell('th', esc(h), i)).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Verdict, run parameters, and the figures a reader checks first. Cells are escaped here. */
function renderHeader(results: RunResults, paired: PairedHistory): string {
  const verdict = verdictOf(results.valid);
  const meta: Array<[string, string]> = [
    ['workload', results.workload],
    ['nemeses', results.nemeses.length > 0 ? results.nemeses.join(', ') : 'none'],
    ['seed', String(results.seed)],
    ['nodes', String(results.nodes)],
    ['time', `${results.timeSeconds} s`],
    ['started', results.startedAt],
    ['operations', `${paired.ops.length} over ${paired.processes.length} processes`],
  ];
  const unsafe =
    results.unsafeFlags.length > 0
      ? `<div class="unsafe">UNSAFE FLAGS: ${results.unsafeFlags.map((f) => `<code>${esc(f)}</code>`).join(' ')} — this run breaks safety on purpose.</div>`
      : '';

  const kinds = new Map<string, number>();
  for (const a of results.anomalies) kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
  const anomalySummary =
    results.anomalies.length > 0
      ? `<div class="anomaly-summary"><a href="#anomalies">${results.anomalies.length} ${results.anomalies.length === 1 ? 'anomaly' : 'anomalies'}</a>: ${[
          ...kinds,
        ]
          .map(([kind, n]) => `${esc(kind)} ×${n}`)
          .join(', ')}</div>`
      : '';

  return `<header>
<h1><span class="verdict ${verdict.cls}">${verdict.label}</span> jepsen-lite: ${esc(results.workload)}</h1>
<div class="meta">${meta.map(([k, v]) => `<span>${esc(k)} <b>${esc(v)}</b></span>`).join('')}</div>
${unsafe}${anomalySummary}<div class="cards">
${renderCounts(results.counts)}
${renderLatency(results)}
${renderChecks(results)}
${renderFaults(results)}
${renderAvailability(results)}
</div>
</header>`;
}

function renderCounts(counts: RunResults['counts']): string {
  const row = (name: string, c: OutcomeCounts): string[] => [
    esc(name),
    String(c.ok),
    String(c.fail),
    String(c.info),
    String(c.ok + c.fail + c.info),
  ];
  const rows = Object.entries(counts.byFunction)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([f, c]) => row(f, c));
  rows.push(row('total', counts.total));
  return card('Operations', table(['f', 'ok', 'fail', 'info', 'all'], rows, new Set([1, 2, 3, 4])));
}

function renderLatency(results: RunResults): string {
  const rows = Object.entries(results.latency)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([f, l]) => [
      esc(f),
      String(l.count),
      fmtMs(l.p50),
      fmtMs(l.p90),
      fmtMs(l.p99),
      fmtMs(l.max),
    ]);
  const body =
    rows.length > 0
      ? table(['f', 'count', 'p50', 'p90', 'p99', 'max'], rows, new Set([1, 2, 3, 4, 5]))
      : '<p class="muted">no ok operations</p>';
  return card('Latency of ok operations', body);
}

function renderChecks(results: RunResults): string {
  const rows = Object.entries(results.checks).map(([name, check]) => {
    const v = verdictOf(check.valid);
    return [esc(name), `<span class="check-${v.cls}">${v.label}</span>`, esc(check.summary)];
  });
  const body =
    rows.length > 0
      ? table(['check', 'verdict', 'summary'], rows)
      : '<p class="muted">none ran</p>';
  return card('Checks', body);
}

function renderFaults(results: RunResults): string {
  const rows = results.faults.map((w) => [
    esc(w.nemesis),
    esc(w.detail),
    esc(w.nodes.join(', ')),
    fmtTime(w.start),
    w.end === null ? '<b>never healed</b>' : fmtTime(w.end),
    w.end === null ? '' : fmtMs(w.end - w.start),
  ]);
  const body =
    rows.length > 0
      ? table(['nemesis', 'detail', 'nodes', 'start', 'end', 'length'], rows, new Set([3, 4, 5]))
      : '<p class="muted">no faults</p>';
  return card('Fault windows', body);
}

function renderAvailability(results: RunResults): string {
  const windows =
    results.unavailability.length > 0
      ? table(
          ['no ok operation from', 'to', 'for'],
          results.unavailability.map((w) => [
            fmtTime(w.start),
            fmtTime(w.end),
            fmtMs(w.durationMs),
          ]),
          new Set([0, 1, 2]),
        )
      : '<p class="muted">no unavailability window</p>';
  const recovery =
    results.recoveryAfterHealMs === null
      ? '<span class="muted">none (no ok write after the final heal)</span>'
      : fmtMs(results.recoveryAfterHealMs);
  return card(
    'Availability',
    `${windows}<p>recovery after the final heal: <span class="figure">${recovery}</span></p>`,
  );
}

/**
 * Each anomaly with a small table of the events it names, next to the other half
 * of each of their operations (an invoke explains a completion and vice versa).
 * Links carry the named history indexes in data-ops; the page's script highlights
 * the matching `op-<index>` anchors in the timeline and scrolls to them.
 */
function renderAnomalies(
  anomalies: readonly Anomaly[],
  paired: PairedHistory,
  eventsByIndex: ReadonlyMap<number, HistoryEvent>,
): string {
  const items = anomalies.map((a, i) => renderAnomaly(a, i, paired, eventsByIndex));
  return `<section id="anomalies">
<h2>Anomalies (${anomalies.length})</h2>
${items.length > 0 ? items.join('\n') : '<p class="muted">None found.</p>'}
</section>`;
}

function renderAnomaly(
  anomaly: Anomaly,
  i: number,
  paired: PairedHistory,
  eventsByIndex: ReadonlyMap<number, HistoryEvent>,
): string {
  const linked = anomaly.events.filter((index) => paired.opOfEvent.has(index));
  const missing = anomaly.events.filter((index) => !paired.opOfEvent.has(index));
  const positions = [...new Set(linked.map((index) => paired.opOfEvent.get(index)))];
  const shown = positions.slice(0, OPERATIONS_SHOWN_PER_ANOMALY);
  const rowIndexes = new Set(
    shown.flatMap((position) => {
      const op = position === undefined ? undefined : paired.ops[position];
      return op === undefined ? [] : [op.invokeIndex, op.completeIndex ?? op.invokeIndex];
    }),
  );
  const named = new Set(anomaly.events);
  const rows = [...rowIndexes]
    .sort((a, b) => a - b)
    .flatMap((index) => {
      const event = eventsByIndex.get(index);
      return event === undefined ? [] : [eventRow(event, named.has(index))];
    });

  const head = [
    `<span class="kind">${esc(anomaly.kind)}</span>`,
    `<span>phase <b>${esc(anomaly.phase)}</b></span>`,
    anomaly.key === undefined ? '' : `<span>key <code>${esc(anomaly.key)}</code></span>`,
    `<span>${anomaly.events.length} events</span>`,
    linked.length > 0
      ? `<a href="#op-${esc(String(linked[0]))}" data-ops="${esc(linked.join(','))}">show in the timeline</a>`
      : '',
  ].join('');
  const eventTable =
    rows.length > 0
      ? `<table><thead><tr><th>index</th><th>process</th><th>type</th><th>f</th><th>key</th><th>value</th><th>time</th><th>node</th><th>error</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : '';
  const omitted =
    positions.length > shown.length
      ? `<p class="muted">… and ${positions.length - shown.length} more operations (results.json lists them all)</p>`
      : '';
  const notFound =
    missing.length > 0
      ? `<p class="muted">Not in the history: ${esc(missing.map((m) => `#${m}`).join(', '))}</p>`
      : '';
  return `<div class="anomaly" id="anomaly-${i}">
<div class="anomaly-head">${head}</div>
<div class="message">${esc(anomaly.message)}</div>
${eventTable}${omitted}${notFound}
</div>`;
}

/** One history event; events an anomaly names are bold and link to the timeline. */
function eventRow(e: HistoryEvent, named: boolean): string {
  const index = named
    ? `<a href="#op-${e.index}" data-ops="${e.index}">#${e.index}</a>`
    : `#${e.index}`;
  const value = e.value === undefined ? '' : e.value === null ? 'null' : esc(e.value);
  return `<tr data-event="${e.index}"${named ? ' class="listed"' : ''}><td class="num">${index}</td><td class="num">${esc(String(e.process))}</td><td class="type-${esc(e.type)}">${esc(e.type)}</td><td>${esc(e.f)}</td><td class="value">${esc(e.key ?? '')}</td><td class="value">${value}</td><td class="num">${fmtTime(e.time)}</td><td>${esc(e.node ?? '')}</td><td>${esc(e.error ?? '')}</td></tr>`;
}
