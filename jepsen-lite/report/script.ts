/**
 * The report page's script, as a string the page inlines. It reads the JSON that
 * data.ts prepared and draws the timeline and the latency chart as SVG, then wires
 * the hover tooltip, the zoom and the anomaly links.
 *
 * Size: a lane's bars of one colour are drawn as ONE <path> of "M x y h w" segments
 * with a thick stroke, rather than one <rect> per operation. The element count so
 * grows with lanes × colours (hundreds for ~100 processes), not with operations,
 * and 20k operations cost only path data (~20 bytes each); nothing is thinned or
 * dropped. Likewise one dotted path per function in the latency chart. Hover finds
 * the operation under the pointer by binary search in its lane. Only the
 * operations an anomaly names get elements of their own: the `op-<index>` anchors.
 *
 * It is plain browser JavaScript (no build step, no types: the repo's TypeScript
 * has no DOM library), written in String.raw so backslashes stay as written, with
 * no template literals inside. Text from the history reaches the page only through
 * textContent, never innerHTML. Errors are written into the page (#render-error)
 * so that a headless browser test can see them; success sets body[data-rendered].
 */
export const REPORT_SCRIPT = String.raw`
(function () {
  'use strict';

  function showError(err) {
    var box = document.getElementById('render-error');
    if (!box) {
      box = document.createElement('pre');
      box.id = 'render-error';
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.textContent += 'The report script failed: ' + (err && err.stack ? err.stack : String(err)) + '\n';
    document.body.setAttribute('data-render-error', 'true');
  }
  window.addEventListener('error', function (e) { showError(e.error || e.message); });

  var GUTTER = 64;      // px left of the time axis, for the lane labels
  var RIGHT = 14;       // px right of the time axis
  var AXIS_H = 18;      // px above the lanes for the time labels
  var FAULT_ROW_H = 14; // px per row of fault labels
  var LATENCY_H = 280;

  var data, C, NS, lanes, fColour, nemesisColour, tooltip;
  var zoom = 1;
  var selected = [];
  var timeline = null;  // geometry of the timeline as last drawn, for hover
  var latency = null;   // the latency chart's dots as last drawn, for hover

  try {
    setup();
    renderLegend();
    renderAll();
    wireEvents();
    var m = /^#op-(\d+)$/.exec(location.hash);
    if (m) select([Number(m[1])], true);
    document.body.setAttribute('data-rendered', 'true');
  } catch (err) {
    showError(err);
  }

  function setup() {
    data = JSON.parse(document.getElementById('report-data').textContent);
    C = data.colours;
    // The SVG namespace, taken from an element the HTML parser made: the page holds no URL.
    NS = document.getElementById('timeline-svg').namespaceURI;
    lanes = data.processes.map(function () { return []; });
    data.ops.forEach(function (op) { lanes[op.lane].push(op); });
    lanes.forEach(function (list) { list.sort(function (a, b) { return a.start - b.start; }); });
    fColour = new Map(data.functions.map(function (f, i) { return [f, C.functions[i % C.functions.length]]; }));
    nemesisColour = new Map(data.nemeses.map(function (n, i) { return [n, C.nemeses[i % C.nemeses.length]]; }));
    tooltip = document.getElementById('tooltip');
  }

  // ---- small helpers ----

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    for (var k in attrs) node.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(node);
    return node;
  }
  function label(node, text) { node.textContent = text; return node; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function fmtTime(ms) { return (ms / 1000).toFixed(3) + ' s'; }
  function fmtMs(ms) {
    if (ms >= 1000) return (ms / 1000).toFixed(2) + ' s';
    return (ms < 10 ? ms.toFixed(1) : ms.toFixed(0)) + ' ms';
  }
  function show(v) { return v === null ? 'null (absent)' : v; }
  function openToTheEnd(op) { return op.outcome === 'info' && (op.end === null || op.mayTakeEffectLater); }
  function drawnEnd(op) { return openToTheEnd(op) ? data.endTime : op.end; }
  function faultEnd(w) { return w.end === null ? data.endTime : w.end; }

  /** Maps ms since run start to px across [GUTTER, width - RIGHT]. */
  function timeScale(width) {
    var t0 = data.startTime, span = data.endTime - data.startTime, w = width - GUTTER - RIGHT;
    return function (t) { return GUTTER + ((t - t0) / span) * w; };
  }

  /** Vertical grid lines and second labels at a round step, about every 90 px. */
  function timeTicks(svg, x, width, y0, y1, labelY) {
    var span = data.endTime - data.startTime;
    var raw = span / Math.max(1, (width - GUTTER) / 90);
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (s) { return s * p; }).filter(function (s) { return s >= raw; })[0];
    var decimals = Math.max(0, Math.min(3, -Math.floor(Math.log10(step / 1000))));
    var first = Math.ceil(data.startTime / step);
    for (var i = first; i * step <= data.endTime; i++) {
      var px = Math.round(x(i * step)) + 0.5;
      el('line', { x1: px, x2: px, y1: y0, y2: y1, stroke: '#e4e4e8' }, svg);
      label(el('text', { x: px, y: labelY, 'text-anchor': 'middle' }, svg), ((i * step) / 1000).toFixed(decimals) + ' s');
    }
  }

  /** One horizontal segment of a stroked path: at least 1 px wide, so short operations show. */
  function seg(x0, x1, y) { return 'M' + x0.toFixed(1) + ' ' + y + 'h' + Math.max(1, x1 - x0).toFixed(1); }

  function strokePath(parent, cls, d, stroke, width, extra) {
    if (!d) return;
    var attrs = { class: cls, d: d, stroke: stroke, 'stroke-width': width, fill: 'none', 'shape-rendering': 'crispEdges' };
    for (var k in extra) attrs[k] = extra[k];
    el('path', attrs, parent);
  }

  // ---- drawing ----

  function renderAll() {
    renderTimeline();
    renderLatency();
    applySelection(false);
  }

  function renderLegend() {
    var box = document.getElementById('legend');
    function swatch(text, background, opacity) {
      var item = document.createElement('span');
      var sw = document.createElement('i');
      sw.style.background = background;
      if (opacity) sw.style.opacity = opacity;
      item.appendChild(sw);
      item.appendChild(document.createTextNode(text));
      box.appendChild(item);
    }
    swatch('ok', C.ok);
    swatch('fail', C.fail);
    swatch('info (gave up)', C.info);
    swatch('a write of unknown outcome, to the end', 'repeating-linear-gradient(45deg, ' + C.info + ' 0 2px, transparent 2px 4px)');
    data.functions.forEach(function (f) { swatch('f = ' + f + ' (top stripe)', fColour.get(f)); });
    data.nemeses.forEach(function (n) { swatch('fault: ' + n, nemesisColour.get(n), 0.35); });
    if (data.anchors.length) swatch('in an anomaly', C.anomaly);
  }

  function renderTimeline() {
    var svg = document.getElementById('timeline-svg');
    var box = document.getElementById('timeline');
    clear(svg);
    var width = Math.round(Math.max(600, box.clientWidth - 2) * zoom);
    var x = timeScale(width);
    var n = data.processes.length;
    var laneH = n <= 40 ? 18 : n <= 150 ? 12 : 8;
    var barH = laneH >= 12 ? laneH - 4 : laneH - 2;
    // The function stripe must leave most of a thin bar to its outcome colour.
    var stripeW = barH >= 10 ? Math.round(barH / 5) : 1;

    // Fault labels go in rows above the lanes: each in the first row where it
    // overlaps no earlier label, so overlapping windows stay readable.
    var rowEnds = [];
    var faultRow = data.faults.map(function (w) {
      var from = x(w.start);
      var to = Math.max(x(faultEnd(w)), from + 6 * (w.nemesis.length + w.detail.length + 2) + 8);
      var r = 0;
      while (r < rowEnds.length && rowEnds[r] > from) r++;
      rowEnds[r] = to;
      return r;
    });
    var top = AXIS_H + rowEnds.length * FAULT_ROW_H + 2;
    var height = top + n * laneH + 2;
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    timeline = { x: x, top: top, laneH: laneH };

    var defs = el('defs', {}, svg);
    var hatch = el('pattern', { id: 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, defs);
    el('rect', { width: 6, height: 6, fill: C.info, 'fill-opacity': 0.2 }, hatch);
    el('rect', { width: 3, height: 6, fill: C.info }, hatch);

    for (var i = 1; i < n; i += 2) {
      el('rect', { x: GUTTER, y: top + i * laneH, width: width - GUTTER, height: laneH, fill: '#f5f5f8' }, svg);
    }
    timeTicks(svg, x, width, AXIS_H - 4, height, 11);

    data.faults.forEach(function (w, i) {
      var from = x(w.start), to = x(faultEnd(w)), y = AXIS_H + faultRow[i] * FAULT_ROW_H;
      var colour = nemesisColour.get(w.nemesis);
      var g = el('g', { class: 'fault', 'data-fault': i }, svg);
      el('rect', { x: from, y: y, width: Math.max(1, to - from), height: height - y, fill: colour, 'fill-opacity': 0.15 }, g);
      el('line', { x1: from, x2: from, y1: y, y2: height, stroke: colour, 'stroke-width': 1 }, g);
      label(el('text', { x: from + 3, y: y + 10, fill: colour }, g), w.nemesis + ': ' + w.detail + (w.end === null ? ' (never healed)' : ''));
    });

    var stripeY = -barH / 2 + stripeW / 2;
    data.processes.forEach(function (p, i) {
      var yc = top + i * laneH + laneH / 2;
      var g = el('g', { class: 'lane', 'data-process': p }, svg);
      if (laneH >= 12) label(el('text', { x: GUTTER - 6, y: yc + 3.5, 'text-anchor': 'end', class: 'lane-label' }, g), 'p' + p);
      var d = { ok: '', fail: '', info: '', unknown: '' };
      var stripes = new Map();
      lanes[i].forEach(function (op) {
        if (op.end !== null) d[op.outcome] += seg(x(op.start), x(op.end), yc);
        if (openToTheEnd(op)) d.unknown += seg(x(op.end === null ? op.start : op.end), x(data.endTime), yc);
        stripes.set(op.f, (stripes.get(op.f) || '') + seg(x(op.start), x(drawnEnd(op)), yc + stripeY));
      });
      strokePath(g, 'bars-ok', d.ok, C.ok, barH);
      strokePath(g, 'bars-fail', d.fail, C.fail, barH);
      strokePath(g, 'bars-info', d.info, C.info, barH);
      strokePath(g, 'bars-unknown', d.unknown, 'url(#hatch)', barH, { 'stroke-opacity': 0.75 });
      stripes.forEach(function (path, f) { strokePath(g, 'stripes', path, fColour.get(f), stripeW); });
    });

    data.anchors.forEach(function (a) {
      var op = data.ops[a[1]];
      var from = x(op.start), to = Math.max(from + 1, x(drawnEnd(op)));
      el('rect', { id: 'op-' + a[0], class: 'anchor', x: from - 2, y: top + op.lane * laneH + 1, width: to - from + 4, height: laneH - 2 }, svg);
    });
  }

  function renderLatency() {
    var svg = document.getElementById('latency-svg');
    var box = document.getElementById('latency');
    clear(svg);
    var width = Math.round(Math.max(600, box.clientWidth - 2));
    var top = 10, bottom = LATENCY_H - 24;
    svg.setAttribute('width', width);
    svg.setAttribute('height', LATENCY_H);
    var x = timeScale(width);
    var ok = data.ops.filter(function (op) { return op.outcome === 'ok' && op.end !== null; });
    latency = { dots: [] };

    // Log scale over whole decades; a latency of 0 (a coarse clock) sits on the floor.
    var positive = ok.map(function (op) { return op.end - op.start; }).filter(function (l) { return l > 0; });
    var min = positive.length ? positive.reduce(function (a, b) { return Math.min(a, b); }) : 1;
    var max = positive.length ? positive.reduce(function (a, b) { return Math.max(a, b); }) : 10;
    var lo = Math.floor(Math.log10(Math.max(0.01, min)));
    var hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
    function y(l) { return bottom - ((Math.log10(Math.max(l, Math.pow(10, lo))) - lo) / (hi - lo)) * (bottom - top); }

    data.faults.forEach(function (w, i) {
      var from = x(w.start), to = x(faultEnd(w));
      el('rect', { class: 'fault', 'data-fault': i, x: from, y: top, width: Math.max(1, to - from), height: bottom - top, fill: nemesisColour.get(w.nemesis), 'fill-opacity': 0.15 }, svg);
    });
    timeTicks(svg, x, width, top, bottom, LATENCY_H - 8);
    for (var e = lo; e <= hi; e++) {
      var py = Math.round(y(Math.pow(10, e))) + 0.5;
      el('line', { x1: GUTTER, x2: width - RIGHT, y1: py, y2: py, stroke: '#e4e4e8' }, svg);
      label(el('text', { x: GUTTER - 6, y: py + 3.5, 'text-anchor': 'end' }, svg), fmtMs(Math.pow(10, e)));
    }
    if (!ok.length) {
      label(el('text', { x: width / 2, y: (top + bottom) / 2, 'text-anchor': 'middle' }, svg), 'no ok operations');
      return;
    }
    var paths = new Map();
    ok.forEach(function (op) {
      var px = x(op.end), py = y(op.end - op.start);
      latency.dots.push({ op: op, px: px, py: py });
      paths.set(op.f, (paths.get(op.f) || '') + 'M' + px.toFixed(1) + ' ' + py.toFixed(1) + 'h0');
    });
    paths.forEach(function (d, f) {
      el('path', { class: 'latency-dots', 'data-f': f, d: d, stroke: fColour.get(f), 'stroke-width': 4, 'stroke-linecap': 'round', fill: 'none', 'stroke-opacity': 0.8 }, svg);
    });
  }

  // ---- interaction ----

  function wireEvents() {
    document.getElementById('timeline-svg').addEventListener('mousemove', onTimelineMove);
    document.getElementById('latency-svg').addEventListener('mousemove', onLatencyMove);
    document.getElementById('timeline-svg').addEventListener('mouseleave', hideTooltip);
    document.getElementById('latency-svg').addEventListener('mouseleave', hideTooltip);
    document.getElementById('zoom').addEventListener('change', function (e) {
      zoom = Number(e.target.value) || 1;
      renderTimeline();
      applySelection(false);
    });
    var pending = 0;
    window.addEventListener('resize', function () {
      clearTimeout(pending);
      pending = setTimeout(renderAll, 150);
    });
    // Anomaly links carry the history indexes they stand for in data-ops.
    document.addEventListener('click', function (e) {
      var a = e.target.closest ? e.target.closest('a[data-ops]') : null;
      if (!a) return;
      e.preventDefault();
      select(a.getAttribute('data-ops').split(',').map(Number), true);
    });
  }

  function select(indexes, scroll) {
    selected = indexes;
    applySelection(scroll);
  }

  function applySelection(scroll) {
    var old = document.querySelectorAll('#timeline-svg .anchor.selected');
    for (var i = 0; i < old.length; i++) old[i].classList.remove('selected');
    var first = null;
    selected.forEach(function (index) {
      var rect = document.getElementById('op-' + index);
      if (!rect) return;
      rect.getBoundingClientRect(); // a layout between removing and adding the class restarts its animation
      rect.classList.add('selected');
      if (!first) first = rect;
    });
    if (scroll && first) first.scrollIntoView({ block: 'center', inline: 'center', behavior: 'smooth' });
  }

  /** The operation drawn under px in a lane: binary search on start, 3 px of slack for thin bars. */
  function opAt(list, px) {
    var x = timeline.x, lo = 0, hi = list.length - 1, last = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (x(list[mid].start) <= px + 3) { last = mid; lo = mid + 1; } else hi = mid - 1;
    }
    for (var i = last; i >= 0 && i >= last - 3; i--) {
      var op = list[i], from = x(op.start), to = Math.max(from + 1, x(drawnEnd(op)));
      if (px >= from - 3 && px <= to + 3) return op;
    }
    return null;
  }

  function onTimelineMove(e) {
    var r = e.currentTarget.getBoundingClientRect();
    var px = e.clientX - r.left, py = e.clientY - r.top;
    var lane = Math.floor((py - timeline.top) / timeline.laneH);
    var op = lane >= 0 && lane < lanes.length ? opAt(lanes[lane], px) : null;
    if (op) return showTooltip(e, describeOp(op));
    var fault = e.target.closest ? e.target.closest('[data-fault]') : null;
    if (fault) return showTooltip(e, describeFault(data.faults[Number(fault.getAttribute('data-fault'))]));
    hideTooltip();
  }

  function onLatencyMove(e) {
    var r = e.currentTarget.getBoundingClientRect();
    var px = e.clientX - r.left, py = e.clientY - r.top;
    var best = null, bestD = 25; // within 5 px
    latency.dots.forEach(function (dot) {
      var d = (dot.px - px) * (dot.px - px) + (dot.py - py) * (dot.py - py);
      if (d < bestD) { best = dot; bestD = d; }
    });
    if (best) return showTooltip(e, describeOp(best.op));
    var fault = e.target.closest ? e.target.closest('[data-fault]') : null;
    if (fault) return showTooltip(e, describeFault(data.faults[Number(fault.getAttribute('data-fault'))]));
    hideTooltip();
  }

  function describeOp(op) {
    var never = op.outcome === 'info' && op.end === null;
    var lines = [op.f + '  ' + (never ? 'never completed' : op.outcome) + '  (process ' + data.processes[op.lane] + ')'];
    if (op.key !== undefined) lines.push('key:     ' + op.key);
    if ('value' in op) lines.push('value:   ' + show(op.value));
    if ('result' in op) lines.push('read:    ' + show(op.result));
    if (op.node !== undefined) lines.push('node:    ' + op.node);
    if (op.error !== undefined) lines.push('error:   ' + op.error);
    lines.push('invoked: ' + fmtTime(op.start) + '  #' + op.invokeIndex);
    if (op.end !== null) {
      lines.push((op.outcome === 'info' ? 'gave up: ' : 'done:    ') + fmtTime(op.end) + '  #' + op.completeIndex + '  after ' + fmtMs(op.end - op.start));
    }
    if (op.outcome === 'info') lines.push('outcome unknown: may take effect at any later time, or never');
    return lines.join('\n');
  }

  function describeFault(w) {
    return [
      w.nemesis + ': ' + w.detail,
      'nodes:  ' + (w.nodes.length ? w.nodes.join(', ') : '-'),
      'from:   ' + fmtTime(w.start),
      'to:     ' + (w.end === null ? 'never healed' : fmtTime(w.end) + '  (' + fmtMs(w.end - w.start) + ')'),
    ].join('\n');
  }

  function showTooltip(e, text) {
    tooltip.textContent = text;
    tooltip.hidden = false;
    var w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    var left = e.clientX + 14, top = e.clientY + 14;
    if (left + w > window.innerWidth - 4) left = Math.max(4, e.clientX - w - 14);
    if (top + h > window.innerHeight - 4) top = Math.max(4, e.clientY - h - 14);
    tooltip.style.left = left + 'px';
    tooltip.style.top = top + 'px';
  }

  function hideTooltip() { tooltip.hidden = true; }
})();
`;
