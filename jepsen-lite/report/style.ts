/**
 * The report page's colours and stylesheet. The colours live here once: the CSS
 * uses them, the page's script gets them in its embedded data, and the browser
 * test looks for them in a screenshot.
 */

export const COLOURS = {
  /** Bar body by outcome. */
  ok: '#3a9d5d',
  fail: '#d7301f',
  info: '#f0a020',
  /** Stripe on top of each bar, by operation function (f), in order of first appearance. */
  functions: [
    '#4e79a7',
    '#9c6ade',
    '#17becf',
    '#8c564b',
    '#e377c2',
    '#1f3b73',
    '#bcbd22',
    '#7f7f7f',
  ],
  /** Fault shading, by nemesis, in order of first appearance. */
  nemeses: ['#7b68ee', '#20b2aa', '#cd853f', '#708090', '#c71585', '#6b8e23'],
  /** Outline of the operations an anomaly names. */
  anomaly: '#e0129a',
} as const;

export type Colours = typeof COLOURS;

export const REPORT_CSS = `
* { box-sizing: border-box; }
body { margin: 0; padding: 16px 20px 40px; font: 13px/1.4 system-ui, sans-serif; color: #1d1d1f; background: #fff; }
h1 { font-size: 20px; margin: 0 0 6px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 13px; margin: 0 0 6px; }
code, .mono, td.value { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.verdict { display: inline-block; padding: 3px 12px; border-radius: 4px; color: #fff; font-weight: 700; letter-spacing: .05em; }
.verdict.valid { background: #1e7d3c; }
.verdict.invalid { background: #b3140a; }
.verdict.unknown { background: #a86a00; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0 0 10px; color: #444; }
.meta b { color: #1d1d1f; font-weight: 600; }
.unsafe { background: #b3140a; color: #fff; padding: 8px 12px; border-radius: 4px; margin: 8px 0 12px; font-weight: 600; }
.anomaly-summary { background: #fdecea; border-left: 4px solid #b3140a; padding: 6px 10px; margin: 6px 0 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.card { border: 1px solid #ddd; border-radius: 4px; padding: 8px 10px; max-width: 100%; }
table { border-collapse: collapse; }
th, td { padding: 2px 8px; text-align: left; vertical-align: top; border-bottom: 1px solid #eee; }
th { font-weight: 600; color: #555; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.check-valid { color: #1e7d3c; font-weight: 600; }
.check-invalid { color: #b3140a; font-weight: 600; }
.check-unknown { color: #a86a00; font-weight: 600; }
.muted { color: #777; }
.figure { font-size: 15px; font-weight: 600; }
.controls { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; }
.legend span { display: inline-flex; align-items: center; gap: 5px; }
.legend i { display: inline-block; width: 14px; height: 10px; border-radius: 1px; }
.chart { overflow-x: auto; border: 1px solid #ddd; border-radius: 4px; }
.chart svg { display: block; }
svg text { font: 10px system-ui, sans-serif; fill: #333; }
svg .lane-label { fill: #666; }
svg .anchor { fill: none; stroke: ${COLOURS.anomaly}; stroke-width: 2; }
svg .anchor.selected { stroke: #000; stroke-width: 3; animation: pulse 1s ease-in-out 3; }
@keyframes pulse { 50% { stroke-width: 6; } }
#tooltip { position: fixed; z-index: 10; pointer-events: none; background: rgba(20, 20, 24, .93); color: #fff;
  padding: 6px 8px; border-radius: 4px; font: 12px/1.35 ui-monospace, Menlo, Consolas, monospace;
  white-space: pre-wrap; max-width: 520px; overflow-wrap: anywhere; }
.anomaly { border: 1px solid #e7b4b0; border-radius: 4px; padding: 8px 10px; margin: 10px 0; }
.anomaly-head { display: flex; gap: 10px; flex-wrap: wrap; align-items: baseline; }
.anomaly .kind { font-weight: 700; color: #b3140a; }
.anomaly .message { margin: 4px 0 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
.anomaly table { width: 100%; }
.anomaly td.value { overflow-wrap: anywhere; max-width: 420px; }
tr.listed td { background: #fff3f8; font-weight: 600; }
.type-ok { color: ${COLOURS.ok}; } .type-fail { color: ${COLOURS.fail}; } .type-info { color: #a86a00; }
#render-error { background: #b3140a; color: #fff; padding: 8px; white-space: pre-wrap; }
`;
