// @ts-check
/* global acquireVsCodeApi, document, window, requestAnimationFrame, Element, MutationObserver */
// The Baton dashboard webview. Plain DOM, no framework, no build step. The extension posts a
// snapshot when this page loads, then deltas (changed nodes, changed timeline bars) at most
// once per frame; this script folds them into its state and redraws only what changed, on
// the next animation frame. Styles come from dashboard.css only (the CSP allows no inline
// style): positions are set through the CSSOM, which the CSP does not restrict.
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const SVG = 'http://www.w3.org/2000/svg';
  const MAX_TREE_ROWS = 2000;
  const MAX_BARS = 60;
  const KNOWN = { configured: 'configured', ready: 'ready', running: 'running', dataflow_drained: 'paused', trigger_sources_stopped: 'paused', mixed: 'mixed', excluded: 'excluded' };

  /** @type {any} */
  let session = null;
  /** @type {any} */
  let layout = null;
  /** @type {Map<string, any>} */
  const nodes = new Map();
  /** @type {string[]} */
  let order = [];
  /** @type {Map<number, any>} */
  const transitions = new Map();
  /** @type {number | null} */
  let selected = null;
  let follow = true;
  /** Slowest first? null = automatic: in tree order for a few applications, slowest first for many. */
  /** @type {boolean | null} */
  let sortByDuration = null;
  const AUTO_SORT_ABOVE = 20;

  const dirty = { header: false, fsm: false, treeAll: false, tree: new Set(), timeline: false };
  let frameRequested = false;
  /** @type {any} */
  let tick = null;
  /** @type {any} */
  let reportTimer = null;
  /** @type {Map<string, HTMLElement>} */
  const rowEls = new Map();
  /** @type {Map<string, SVGGElement>} */
  const boxEls = new Map();
  /** @type {Array<{el: SVGGElement, edge: any}>} */
  const edgeEls = [];

  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (!m || typeof m.type !== 'string') return;
    if (m.type === 'empty') return showEmpty(true);
    showEmpty(false);
    if (m.type === 'snapshot') applySnapshot(m);
    else if (m.type === 'delta') applyDelta(m);
    schedule();
  });

  function showEmpty(/** @type {boolean} */ empty) {
    $('empty').hidden = !empty;
    $('main').hidden = empty;
    $('header').hidden = empty;
  }

  function applySnapshot(/** @type {any} */ m) {
    session = m.session;
    layout = m.layout;
    nodes.clear();
    order = [];
    for (const n of m.nodes) {
      nodes.set(n.path, n);
      order.push(n.path);
    }
    transitions.clear();
    for (const t of m.timeline) transitions.set(t.id, t);
    dirty.header = dirty.fsm = dirty.treeAll = dirty.timeline = true;
    buildFsm();
  }

  function applyDelta(/** @type {any} */ m) {
    const before = session && session.state + '|' + JSON.stringify(session.busy || null);
    session = m.session;
    dirty.header = true;
    if (before !== session.state + '|' + JSON.stringify(session.busy || null)) dirty.fsm = true;
    for (const n of m.nodes) {
      if (!nodes.has(n.path)) {
        order.push(n.path);
        dirty.treeAll = true;
      }
      nodes.set(n.path, n);
      dirty.tree.add(n.path);
      if (n.kind === 'app') dirty.fsm = true;
    }
    const d = m.timeline;
    if (d) {
      for (const id of d.removed) transitions.delete(id);
      for (const h of d.transitions) {
        const t = transitions.get(h.id);
        if (t) Object.assign(t, h);
        else transitions.set(h.id, Object.assign({ bars: [], index: new Map() }, h));
      }
      for (const { id, bar } of d.bars) {
        const t = transitions.get(id);
        if (!t) continue;
        if (!t.index) t.index = new Map(t.bars.map((/** @type {any} */ b, /** @type {number} */ i) => [b.path, i]));
        const i = t.index.get(bar.path);
        if (i === undefined) {
          t.index.set(bar.path, t.bars.length);
          t.bars.push(bar);
        } else t.bars[i] = bar;
      }
      dirty.timeline = true;
    }
  }

  function schedule() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(render);
  }

  function render() {
    frameRequested = false;
    if (!session) return;
    if (dirty.header) renderHeader();
    if (dirty.fsm) paintFsm();
    if (dirty.treeAll) renderTree();
    else if (dirty.tree.size) for (const p of dirty.tree) paintRow(p);
    if (dirty.timeline) renderTimeline();
    dirty.header = dirty.fsm = dirty.treeAll = dirty.timeline = false;
    dirty.tree.clear();
    // Running bars and the run clock move on their own.
    clearTimeout(tick);
    const running = [...transitions.values()].some((t) => t.ok === undefined);
    if (running || session.run) {
      tick = setTimeout(() => {
        dirty.header = true;
        dirty.timeline = running;
        schedule();
      }, running ? 200 : 1000);
    }
    clearTimeout(reportTimer);
    reportTimer = setTimeout(report, 120);
  }

  // --- header ---------------------------------------------------------------------------

  function stateClass(/** @type {string} */ state) {
    if (!session) return 'st-other';
    if (state === session.errorState || state === 'error') return 'st-error';
    if (state === session.initial || state === 'none' || state === 'initial') return 'st-initial';
    return 'st-' + (KNOWN[/** @type {keyof typeof KNOWN} */ (state)] || 'other');
  }

  function renderHeader() {
    const h = $('header');
    h.textContent = '';
    const title = el('div', 'title', session.name);
    title.appendChild(el('span', 'sub', 'Baton session'));
    h.appendChild(title);
    h.appendChild(fact('State', pill(session.stateText, stateClass(session.state), true)));
    if (session.busy) {
      const b = session.busy;
      const text = `${b.name}${b.to ? ` → ${b.to}` : ''}  ${b.done}/${b.total}`;
      const v = el('span', 'busy', text);
      h.appendChild(fact('In progress', v));
    }
    if (session.run) {
      h.appendChild(fact('Run', el('span', '', `#${session.run.number} ${session.run.type}`)));
      h.appendChild(fact('Run time', el('span', '', clock(Date.now() - session.run.startedAt))));
    }
    const apps = order.filter((p) => nodes.get(p).kind === 'app').length;
    h.appendChild(fact('Applications', el('span', '', String(apps))));
  }

  function fact(/** @type {string} */ k, /** @type {Node} */ v) {
    const f = el('div', 'fact');
    f.appendChild(el('span', 'k', k));
    const vv = el('span', 'v');
    vv.appendChild(v);
    f.appendChild(vv);
    return f;
  }

  function pill(/** @type {string} */ text, /** @type {string} */ cls, big = false) {
    return el('span', `pill ${cls}${big ? ' big' : ''}`, text);
  }

  // --- FSM diagram ----------------------------------------------------------------------

  function buildFsm() {
    const host = $('fsm');
    host.textContent = '';
    boxEls.clear();
    edgeEls.length = 0;
    if (!layout) return;
    const svg = svgEl('svg', { viewBox: `0 0 ${layout.width} ${layout.height}`, width: String(layout.width), height: String(layout.height), role: 'img', 'aria-label': 'State machine' });
    const defs = svgEl('defs');
    for (const [id, cls] of [['arrow', 'arrow-head'], ['arrow-active', 'arrow-head active']]) {
      const marker = svgEl('marker', { id, viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
      marker.appendChild(svgEl('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
      defs.appendChild(marker);
    }
    svg.appendChild(defs);
    const edgeLayer = svgEl('g');
    const labelLayer = svgEl('g');
    for (const e of layout.edges) {
      const g = /** @type {SVGGElement} */ (svgEl('g', { class: `fsm-edge ${e.kind}` }));
      g.appendChild(svgEl('path', { d: e.d, 'marker-end': 'url(#arrow)' }));
      edgeLayer.appendChild(g);
      const lg = /** @type {SVGGElement} */ (svgEl('g', { class: `fsm-edge ${e.kind}` }));
      const w = e.label.text.length * 6.1 + 8;
      lg.appendChild(svgEl('rect', { class: 'label-bg', x: String(e.label.x - w / 2), y: String(e.label.y - 10), width: String(w), height: '13', rx: '2' }));
      const t = svgEl('text', { x: String(e.label.x), y: String(e.label.y) });
      t.textContent = e.label.text;
      lg.appendChild(t);
      labelLayer.appendChild(lg);
      edgeEls.push({ el: g, edge: e }, { el: lg, edge: e });
    }
    svg.appendChild(edgeLayer);
    for (const b of layout.boxes) {
      const g = /** @type {SVGGElement} */ (svgEl('g', { class: `fsm-box${b.pseudo ? ' pseudo' : ''}${b.error ? ' error' : ''}`, 'data-state': b.id }));
      g.appendChild(svgEl('rect', { x: String(b.x), y: String(b.y), width: String(b.w), height: String(b.h), rx: '6' }));
      const t = svgEl('text', { x: String(b.x + b.w / 2), y: String(b.y + b.h / 2) });
      t.textContent = b.label;
      g.appendChild(t);
      const title = svgEl('title');
      title.textContent = b.pseudo ? 'Transitions allowed from any state start here' : b.initial ? `${b.label} (initial state)` : b.label;
      g.appendChild(title);
      svg.appendChild(g);
      boxEls.set(b.id, g);
    }
    svg.appendChild(labelLayer);
    host.appendChild(svg);
    const legend = el('div', 'fsm-legend');
    legend.appendChild(legendItem('current', 'current state'));
    legend.appendChild(legendItem('target', 'transition in progress'));
    legend.appendChild(legendItem('possible', 'allowed from here'));
    host.appendChild(legend);
  }

  function legendItem(/** @type {string} */ cls, /** @type {string} */ text) {
    const s = el('span', '');
    s.appendChild(el('span', `sw ${cls}`));
    s.appendChild(document.createTextNode(text));
    return s;
  }

  function paintFsm() {
    if (!layout) return;
    const busy = session.busy;
    // During a transition the session is where it started from until every application is done.
    const current = busy ? busy.from : session.state;
    /** @type {Map<string, number>} */
    const counts = new Map();
    let apps = 0;
    for (const n of nodes.values()) {
      if (n.kind !== 'app' || !n.included) continue;
      apps++;
      counts.set(n.state, (counts.get(n.state) || 0) + 1);
    }
    for (const [id, g] of boxEls) {
      g.classList.toggle('current', id === current);
      g.classList.toggle('target', !!busy && id === busy.to && id !== current);
      // How many applications are in each state, when they are not all in one.
      const n = counts.get(id) || 0;
      const badge = /** @type {SVGGElement | null} */ (g.querySelector('.count'));
      if (badge) badge.remove();
      if (n > 0 && n < apps) {
        const rect = /** @type {SVGRectElement} */ (g.querySelector('rect'));
        const x = Number(rect.getAttribute('x')) + Number(rect.getAttribute('width'));
        const y = Number(rect.getAttribute('y'));
        const text = String(n);
        const w = Math.max(16, text.length * 7 + 8);
        const c = svgEl('g', { class: 'count' });
        c.appendChild(svgEl('rect', { x: String(x - w / 2 - 2), y: String(y - 9), width: String(w), height: '16', rx: '8' }));
        const t = svgEl('text', { x: String(x - 2), y: String(y - 1) });
        t.textContent = text;
        c.appendChild(t);
        const title = svgEl('title');
        title.textContent = `${n} of ${apps} applications are ${id}`;
        c.appendChild(title);
        g.appendChild(c);
      }
    }
    for (const { el: g, edge } of edgeEls) {
      const active = !!busy && edge.from === busy.from && edge.transitions.includes(busy.name);
      g.classList.toggle('active', active);
      g.classList.toggle('possible', !busy && edge.from === current && edge.from !== edge.to);
      const path = g.querySelector('path');
      if (path) path.setAttribute('marker-end', active ? 'url(#arrow-active)' : 'url(#arrow)');
    }
  }

  // --- control tree ---------------------------------------------------------------------

  function renderTree() {
    const host = $('tree');
    host.textContent = '';
    rowEls.clear();
    const shown = order.slice(0, MAX_TREE_ROWS);
    for (const p of shown) {
      const row = el('div', '');
      row.setAttribute('role', 'treeitem');
      rowEls.set(p, row);
      host.appendChild(row);
      paintRow(p);
    }
    if (order.length > shown.length) host.appendChild(el('div', 'more', `${order.length - shown.length} more nodes not shown`));
  }

  function paintRow(/** @type {string} */ p) {
    const row = rowEls.get(p);
    const n = nodes.get(p);
    if (!row || !n) return;
    row.className = `tree-row ${n.kind} indent-${Math.min(n.depth, 4)}${n.included ? '' : ' excluded'}`;
    row.textContent = '';
    row.dataset.path = n.path;
    row.dataset.kind = n.kind;
    const name = el('div', 'name', n.kind === 'root' ? session.name : n.name);
    const meta = [];
    if (n.kind === 'app') {
      if (n.endpoint) meta.push(n.endpoint);
      if (n.pid && n.alive) meta.push(`pid ${n.pid}`);
      else if (n.alive === false && n.state !== session.initial) meta.push('process dead');
    } else if (n.appCount !== undefined) meta.push(`${n.appCount} app${n.appCount === 1 ? '' : 's'}`);
    if (meta.length) name.appendChild(el('span', 'meta', meta.join(' · ')));
    row.appendChild(name);
    if (n.transition) {
      // Segments do not count their applications as they finish; the header has the session's count.
      row.appendChild(pill(`${n.transition.name}…`, 'st-ready progress'));
    } else {
      const text = n.kind === 'app' ? n.state : n.stateText || n.state;
      row.appendChild(pill(n.included ? text : 'excluded', n.included ? stateClass(n.state) : 'st-excluded'));
    }
    if (n.error) row.appendChild(el('div', 'err', n.error));
    if (n.kind === 'app') {
      row.tabIndex = 0;
      row.title = `${n.path}: click to open the log`;
    }
  }

  $('tree').addEventListener('click', (ev) => openLogFrom(ev.target));
  $('timeline').addEventListener('click', (ev) => openLogFrom(ev.target));
  $('tree').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') openLogFrom(ev.target);
  });

  function openLogFrom(/** @type {EventTarget | null} */ target) {
    const row = /** @type {HTMLElement | null} */ (target instanceof Element ? target.closest('[data-path]') : null);
    if (row && row.dataset.kind === 'app' && row.dataset.path) vscode.postMessage({ type: 'showLog', path: row.dataset.path });
  }

  // --- timeline -------------------------------------------------------------------------

  function renderTimeline() {
    const list = [...transitions.values()].sort((a, b) => a.id - b.id);
    if (follow || selected === null || !transitions.has(selected)) selected = list.length ? list[list.length - 1].id : null;
    const tabs = $('timeline-tabs');
    tabs.textContent = '';
    for (const t of list) {
      const b = /** @type {HTMLButtonElement} */ (el('button', `tab${t.ok === false ? ' failed' : ''}${t.ok === undefined ? ' running' : ''}`));
      b.setAttribute('role', 'tab');
      b.setAttribute('aria-selected', String(t.id === selected));
      b.appendChild(el('span', 'n', t.name));
      b.appendChild(el('span', 'd', t.finishedAt ? duration(t.finishedAt - t.startedAt) : ''));
      b.addEventListener('click', () => {
        selected = t.id;
        follow = t.id === list[list.length - 1].id;
        dirty.timeline = true;
        schedule();
      });
      tabs.appendChild(b);
    }
    const host = $('timeline');
    host.textContent = '';
    const t = selected === null ? undefined : transitions.get(selected);
    if (!t) {
      host.appendChild(el('div', 'tl-empty', 'No transition yet. Boot the session or run a transition to see how long each application takes.'));
      return;
    }
    const now = Date.now();
    const dur = (/** @type {any} */ b) => (b.start === undefined ? undefined : Math.max(0, (b.end === undefined ? now : b.end) - b.start));
    const started = t.bars.filter((/** @type {any} */ b) => b.start !== undefined);
    const t0 = Math.min(t.startedAt, ...started.map((/** @type {any} */ b) => b.start));
    const t1 = Math.max(t.finishedAt || now, ...started.map((/** @type {any} */ b) => (b.end === undefined ? now : b.end)));
    const span = Math.max(1, t1 - t0);
    const slow = t.bars.find((/** @type {any} */ b) => b.path === t.slowest);
    const durations = started.map(dur).sort((/** @type {number} */ a, /** @type {number} */ b) => a - b);
    const median = durations.length ? durations[Math.floor((durations.length - 1) / 2)] : 0;

    const summary = el('div', 'tl-summary');
    summary.appendChild(el('span', 'what', `${t.name}${t.path ? ` on ${t.path}` : ''}`));
    summary.appendChild(factEl('applications', String(t.bars.length)));
    summary.appendChild(factEl(t.ok === undefined ? 'running for' : 'took', duration((t.finishedAt || now) - t.startedAt)));
    if (slow && started.length > 1) {
      const f = factEl('slowest', `${slow.name} ${duration(dur(slow))}`);
      f.classList.add('slow');
      if (median > 0) f.appendChild(document.createTextNode(` (${(dur(slow) / median).toFixed(1)}× the median)`));
      summary.appendChild(f);
    }
    const failed = t.bars.filter((/** @type {any} */ b) => b.outcome === 'failed' || b.outcome === 'timeout').length;
    if (failed) summary.appendChild(factEl('failed', String(failed)));
    const controls = el('span', 'tl-controls');
    const label = el('label', '');
    const box = /** @type {HTMLInputElement} */ (el('input', ''));
    box.type = 'checkbox';
    const slowestFirst = sortByDuration === null ? t.bars.length > AUTO_SORT_ABOVE : sortByDuration;
    box.checked = slowestFirst;
    box.addEventListener('change', () => {
      sortByDuration = box.checked;
      dirty.timeline = true;
      schedule();
    });
    label.appendChild(box);
    label.appendChild(document.createTextNode(' slowest first'));
    controls.appendChild(label);
    summary.appendChild(controls);
    host.appendChild(summary);

    let bars = t.bars.slice();
    const rank = new Map(order.map((p, i) => [p, i]));
    const byDuration = (/** @type {any} */ a, /** @type {any} */ b) => (dur(b) ?? -1) - (dur(a) ?? -1);
    let hidden = 0;
    if (bars.length > MAX_BARS) {
      bars.sort(byDuration);
      hidden = bars.length - MAX_BARS;
      bars = bars.slice(0, MAX_BARS);
    }
    if (slowestFirst) bars.sort(byDuration);
    else bars.sort((/** @type {any} */ a, /** @type {any} */ b) => (rank.get(a.path) ?? 0) - (rank.get(b.path) ?? 0));

    const grid = el('div', 'tl-grid');
    grid.appendChild(el('div', ''));
    const axis = el('div', 'tl-axis');
    for (const at of ticks(span)) {
      const tk = el('div', 'tl-tick');
      tk.style.left = `${(100 * at) / span}%`;
      tk.appendChild(el('span', '', duration(at)));
      axis.appendChild(tk);
    }
    grid.appendChild(axis);
    grid.appendChild(el('div', ''));
    for (const b of bars) {
      const isSlow = b === slow && started.length > 1;
      const name = el('div', `tl-name${isSlow ? ' slow' : ''}`);
      const seg = b.path.includes('/') ? b.path.slice(0, b.path.lastIndexOf('/') + 1) : '';
      if (seg) name.appendChild(el('span', 'seg', seg));
      name.appendChild(document.createTextNode(b.name));
      name.title = `${b.path}: click to open the log`;
      name.dataset.path = b.path;
      name.dataset.kind = 'app';
      grid.appendChild(name);
      const track = el('div', 'tl-track');
      track.dataset.path = b.path;
      track.dataset.kind = 'app';
      if (b.start !== undefined) {
        const bar = el('div', `tl-bar ${b.outcome}${isSlow ? ' slow' : ''}`);
        bar.style.left = `${(100 * (b.start - t0)) / span}%`;
        bar.style.width = `${(100 * (dur(b) || 0)) / span}%`;
        bar.title = `${b.path}: ${b.outcome}, ${duration(dur(b))}${b.reason ? ` — ${b.reason}` : ''}`;
        track.appendChild(bar);
      }
      grid.appendChild(track);
      const d = b.start === undefined ? b.outcome : `${duration(dur(b))}${b.outcome === 'ok' || b.outcome === 'running' ? '' : ` ${b.outcome}`}`;
      grid.appendChild(el('div', `tl-dur ${b.outcome}${isSlow ? ' slow' : ''}`, d));
      if (b.reason && b.outcome !== 'ok') {
        grid.appendChild(el('div', ''));
        grid.appendChild(el('div', `tl-note ${b.outcome}`, b.reason));
      }
    }
    host.appendChild(grid);
    if (hidden) host.appendChild(el('div', 'more', `${hidden} faster applications not shown`));
    const legend = el('div', 'tl-legend');
    for (const [cls, text] of [['', 'command → reply'], ['slow', 'slowest application'], ['failed', 'failed or timed out'], ['running', 'waiting for the reply']]) {
      const s = el('span', '');
      s.appendChild(el('span', `sw ${cls}`));
      s.appendChild(document.createTextNode(text));
      legend.appendChild(s);
    }
    host.appendChild(legend);
  }

  function factEl(/** @type {string} */ k, /** @type {string} */ v) {
    const f = el('span', 'fact', `${k} `);
    f.appendChild(el('b', '', v));
    return f;
  }

  /** Round tick positions (ms from the start) for an axis spanning `span` ms. */
  function ticks(/** @type {number} */ span) {
    const raw = span / 5;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let at = 0; at <= span + 1e-9; at += step) out.push(at);
    return out;
  }

  function duration(/** @type {number | undefined} */ ms) {
    if (ms === undefined) return '';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
    const s = Math.round(ms / 1000);
    return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  }

  function clock(/** @type {number} */ ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    return [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((x) => String(x).padStart(2, '0')).join(':');
  }

  // --- what was drawn, for the extension's tests --------------------------------------------

  function report() {
    const current = [...boxEls].find(([, g]) => g.classList.contains('current'));
    const target = [...boxEls].find(([, g]) => g.classList.contains('target'));
    const active = edgeEls.find(({ el: g }) => g.classList.contains('active'));
    vscode.postMessage({
      type: 'rendered',
      summary: {
        state: session ? session.state : '',
        apps: document.querySelectorAll('.tree-row.app').length,
        nodes: document.querySelectorAll('.tree-row').length,
        fsmBoxes: document.querySelectorAll('.fsm-box:not(.pseudo)').length,
        fsmEdges: edgeEls.length / 2,
        currentBox: current ? current[0] : undefined,
        timeline: [...transitions.values()].sort((a, b) => a.id - b.id).map((t) => ({ name: t.name, bars: t.bars.length, slowest: t.slowest })),
        shownBars: document.querySelectorAll('.tl-track').length,
        selected: selected === null ? undefined : transitions.get(selected)?.name,
        runningBars: document.querySelectorAll('.tl-bar.running').length,
        firstBar: /** @type {HTMLElement | null} */ (document.querySelector('.tl-track'))?.dataset.path,
        targetBox: target ? target[0] : undefined,
        activeEdge: active ? active.edge.transitions.join(' / ') : undefined,
        theme: document.body.className,
      },
    });
  }

  // --- DOM helpers ----------------------------------------------------------------------

  function el(/** @type {string} */ tag, /** @type {string} */ cls = '', /** @type {string | undefined} */ text = undefined) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svgEl(/** @type {string} */ tag, /** @type {Record<string, string>} */ attrs = {}) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  }

  // VS Code switches the theme by changing the body's class: tell the extension what is shown now.
  new MutationObserver(() => {
    clearTimeout(reportTimer);
    reportTimer = setTimeout(report, 120);
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });

  vscode.postMessage({ type: 'ready' });
})();
