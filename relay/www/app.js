/* The Holdfast dashboard: what is on air on each stream, each input's
 * health with five minutes of loss, jitter and bitrate, the relay's event
 * timeline and its alerts, live.
 *
 * It loads the REST snapshots first (/api/v1/streams, history, events,
 * alerts), then follows the Server-Sent Events of /api/v1/events/stream
 * (opened with ?since=LAST_ID so that no event is missed or shown twice).
 * EventSource reconnects on its own; when it comes back the snapshots are
 * loaded again; a stream that goes silent (no stats frame, sent every
 * second, for 2 x STALE_MS) is closed and opened again.  Everything from
 * the relay is untrusted text: the DOM is built with textContent only, and
 * a missing or odd field shows "-".
 * window.hfDashboard exposes counters for the end-to-end test.
 */
'use strict';
(function () {
  const MAX_POINTS = 300;          // one a second: 5 minutes
  const WINDOW_MS = 300000;
  const MIN_WINDOW_MS = 60000;
  const MAX_EVENTS = 500;
  const MAX_RECENT_ALERTS = 20;
  const STALE_MS = 5000;           // stats come every second
  const RETRY_MS = 3000;
  const FETCH_MS = 10000;          // a REST load that hangs is a failed one
  const COLOURS = ['#27c46b', '#f2a72e', '#4cb8f0', '#c58af9', '#ff7eb6',
    '#e0e0e0'];
  const SLATE_COLOUR = '#ff4b55';
  // Timeline types that change what is on air, and their highlight class.
  // (No prototype: a type called "constructor" is not one of them.)
  const SWITCH_TYPES = { __proto__: null, switch: 'hl', revert: 'hl hl-ok',
    manual: 'hl', slate_on: 'hl-slate', slate_off: 'hl hl-ok' };
  const HEALTHS = ['idle', 'healthy', 'degraded', 'lost'];
  const CHARTS = [
    { key: 'loss', title: 'Loss %', min: 1, dec: 2,
      get: (i) => (num(i.loss_ratio) === null ? null : i.loss_ratio * 100) },
    { key: 'jitter', title: 'Jitter ms', min: 5, dec: 1,
      get: (i) => num(i.jitter_ms) },
    { key: 'bitrate', title: 'Bitrate Mbit/s', min: 1, dec: 2,
      get: (i) => (num(i.bitrate_bps) === null ? null : i.bitrate_bps / 1e6) },
  ];

  const hf = window.hfDashboard = {
    eventsSeen: 0, statsFrames: 0, alertFrames: 0, lastStatsMono: null,
    lastEventId: 0, conn: 'connecting', resyncs: 0, badFrames: 0,
    alertsAvailable: null, errors: [], eventShownAt: {}, restarts: 0,
  };
  window.addEventListener('error', (e) => {
    hf.errors.push(String(e.message || e.type));
  });
  window.addEventListener('unhandledrejection', (e) => {
    hf.errors.push('unhandled rejection: ' + String(e.reason));
  });

  const st = {
    streams: new Map(),   // name -> STREAM, the latest seen
    history: new Map(),   // name -> [{mono, onAir, inputs: [...]}], oldest first
    cards: new Map(),     // name -> card (DOM handles)
    events: new Map(),    // id -> EVENT
    firing: new Map(),    // alert key -> NOTIF
    recent: [],           // resolved NOTIFs, newest first
    monoOffset: null,     // wall ms - relay mono ms
    lastStatsAt: 0,
    openedAt: 0,          // performance.now () when the stream was opened
    relayMono: null,      // {mono (relay ms), at (performance.now ())}
    alertBufs: new Set(), // alert frames seen while an alert snapshot loads
    es: null,
    needResync: false,
    syncing: null,
    retryTimer: 0,
    server: null,         // {version, up (s), at (performance.now ())}
  };

  // ---- small helpers --------------------------------------------------------

  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function str(v) {
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && isFinite(v)) return String(v);
    if (typeof v === 'boolean') return String(v);
    return '-';
  }
  function fix(v, dec, unit) {
    v = num(v);
    return v === null ? '-' : v.toFixed(dec) + (unit || '');
  }
  function arr(v) { return Array.isArray(v) ? v : []; }
  function obj(v) { return v !== null && typeof v === 'object' ? v : {}; }
  function pad(n, w) { return String(n).padStart(w || 2, '0'); }
  function clock(ms, withMs) {
    if (num(ms) === null) return '-';
    const d = new Date(ms);
    const s = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' +
      pad(d.getSeconds());
    return withMs ? s + '.' + pad(d.getMilliseconds(), 3) : s;
  }
  function isoMs(iso) {
    const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
    return isNaN(t) ? null : t;
  }
  function span(s) {
    s = num(s);
    if (s === null) return '-';
    s = Math.max(0, Math.floor(s));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + pad(s % 60) + 's';
    return Math.floor(s / 3600) + 'h ' + pad(Math.floor(s / 60) % 60) + 'm';
  }
  // el('div', {class: 'x', 'data-a': v}, kids...): text kids become text
  // nodes, so relay data is never parsed as HTML.
  function el(tag, attrs) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === null || v === undefined) continue;
      if (k === 'class') e.className = v;
      else e.setAttribute(k, String(v));
    }
    for (let i = 2; i < arguments.length; i++) {
      const kid = arguments[i];
      if (kid === null || kid === undefined || kid === false) continue;
      e.append(kid instanceof Node ? kid : String(kid));
    }
    return e;
  }
  function $(id) { return document.getElementById(id); }
  function parse(text) {
    try {
      const v = JSON.parse(text);
      if (v !== null && typeof v === 'object') return v;
    } catch (e) { /* counted below */ }
    hf.badFrames++;
    return null;
  }
  async function getJson(path) {
    const r = await fetch(path, { cache: 'no-store', signal:
      AbortSignal.timeout ? AbortSignal.timeout(FETCH_MS) : undefined });
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return r.json();
  }

  // ---- connection ----------------------------------------------------------

  function setConn(state) {
    hf.conn = state;
    const c = $('conn');
    c.dataset.state = state;
    c.querySelector('.conn-text').textContent = {
      live: 'LIVE', connecting: 'CONNECTING', reconnecting: 'RECONNECTING',
      stale: 'NO DATA', down: 'OFFLINE' }[state] || state;
  }

  // Loads every snapshot; concurrent callers share one load.
  function resync() {
    if (!st.syncing) {
      st.syncing = doResync().finally(() => { st.syncing = null; });
    }
    return st.syncing;
  }

  async function doResync() {
    hf.resyncs++;
    const buf = [];
    st.alertBufs.add(buf);
    const [server, streams, history, events, alerts] = await Promise.all([
      getJson('/api/v1/server').catch(() => null),
      getJson('/api/v1/streams'),
      getJson('/api/v1/history').catch(() => null),
      getJson('/api/v1/events'),
      getJson('/api/v1/alerts').catch(() => null),
    ]).finally(() => st.alertBufs.delete(buf));
    // Ids start again at 1 when the relay restarts: an id we know with
    // another time means everything we hold is from the previous run.
    for (const ev of arr(obj(events).events)) {
      const old = st.events.get(ev && ev.id);
      if (old && old.time !== ev.time) { forgetRelay(); break; }
    }
    if (server) st.server = { version: server.version,
      up: num(server.uptime_s), at: performance.now() };
    applyStreams(arr(obj(streams).streams), null);
    if (history) applyHistory(history);
    for (const ev of arr(obj(events).events)) addEvent(ev, false);
    hf.alertsAvailable = !!alerts;
    if (alerts) applyAlertSnapshot(alerts, buf);
    renderAll();
    tick();
  }

  function forgetRelay() {
    st.events.clear();
    st.history.clear();
    st.firing.clear();
    st.recent = [];
    hf.lastEventId = 0;
    $('events').replaceChildren();
  }

  function connect() {
    clearTimeout(st.retryTimer);
    if (st.es) { st.es.close(); st.es = null; }
    setConn(hf.conn === 'connecting' ? 'connecting' : 'reconnecting');
    resync().then(openStream, () => {
      setConn('down');
      st.retryTimer = setTimeout(connect, RETRY_MS);
    });
  }

  function openStream() {
    const es = new EventSource('/api/v1/events/stream?since=' +
      encodeURIComponent(hf.lastEventId));
    st.es = es;
    st.openedAt = performance.now();
    es.addEventListener('hello', onHello);
    es.addEventListener('event', (m) => {
      const ev = parse(m.data);
      if (ev && addEvent(ev, true)) renderSummary();
    });
    es.addEventListener('stats', onStats);
    es.addEventListener('alert', (m) => {
      const n = parse(m.data);
      if (!n) return;
      hf.alertFrames++;
      hf.alertsAvailable = true;
      for (const buf of st.alertBufs) buf.push(n);
      applyAlert(n);
      renderAlerts();
    });
    es.onerror = () => {
      if (es !== st.es) return;
      st.needResync = true;
      if (es.readyState === EventSource.CLOSED) {
        // A refusal (not a dropped connection): EventSource gives up, we
        // do not.
        es.close();
        st.es = null;
        setConn('down');
        st.retryTimer = setTimeout(connect, RETRY_MS);
      } else {
        setConn('reconnecting');
      }
    };
  }

  function onHello(m) {
    const h = parse(m.data);
    if (!h) return;
    setRelayMono(h.mono_ms);
    if (num(h.last_id) !== null && h.last_id < hf.lastEventId) {
      // A new relay process behind the same address: start over.
      forgetRelay();
      connect();
      return;
    }
    // Alerts may have fired between the last snapshot and this stream.
    if (!st.needResync) { setConn('live'); reloadAlerts(); return; }
    st.needResync = false;
    const es = st.es;
    resync().then(() => { if (es === st.es) setConn('live'); }, () => {
      if (es !== st.es) return;
      // Still missing what happened while away: start again later.
      st.needResync = true;
      setConn('reconnecting');
      st.retryTimer = setTimeout(connect, RETRY_MS);
    });
  }

  // The alert snapshot alone, with the frames that come while it loads.
  // (A failure, or an older relay without alerts, leaves what we have.)
  function reloadAlerts() {
    const buf = [];
    st.alertBufs.add(buf);
    getJson('/api/v1/alerts').finally(() => st.alertBufs.delete(buf))
      .then((a) => {
        hf.alertsAvailable = true;
        applyAlertSnapshot(a, buf);
        renderAlerts();
      }, () => {});
  }

  function setRelayMono(mono) {
    if (num(mono) !== null) st.relayMono = { mono: mono, at: performance.now() };
  }

  function onStats(m) {
    const f = parse(m.data);
    if (!f) return;
    const mono = num(f.mono_ms);
    const wall = isoMs(f.time);
    if (mono !== null && wall !== null) st.monoOffset = wall - mono;
    setRelayMono(mono);
    hf.statsFrames++;
    hf.lastStatsMono = mono;
    st.lastStatsAt = performance.now();
    if (hf.conn === 'stale') setConn('live');
    applyStreams(arr(f.streams), mono);
    renderStreams();
    renderSummary();
  }

  // ---- state ---------------------------------------------------------------

  // applyStreams(list, mono): the current STREAM objects; with a mono time
  // (a stats frame) each also becomes a chart sample.
  function applyStreams(list, mono) {
    const seen = new Set();
    for (const s of list) {
      if (!s || typeof s.name !== 'string') continue;
      seen.add(s.name);
      st.streams.set(s.name, s);
      if (mono !== null) addSample(s.name, sampleOf(mono, s.on_air, s.inputs));
    }
    for (const name of [...st.streams.keys()]) {
      if (!seen.has(name)) { st.streams.delete(name); st.history.delete(name); }
    }
  }

  function sampleOf(mono, onAir, inputs) {
    return { mono: mono, onAir: typeof onAir === 'string' ? onAir : null,
      inputs: arr(inputs).map((i) => obj(i)) };
  }

  function addSample(name, sample) {
    let h = st.history.get(name);
    if (!h) st.history.set(name, h = []);
    if (h.length && sample.mono <= h[h.length - 1].mono) return;
    h.push(sample);
    while (h.length > MAX_POINTS ||
      (h.length && h[0].mono < sample.mono - WINDOW_MS)) h.shift();
  }

  // History from the relay replaces ours, except samples newer than it
  // (stats frames that came while it loaded).
  function applyHistory(hist) {
    for (const s of arr(hist.streams)) {
      if (!s || typeof s.name !== 'string') continue;
      const samples = [];
      for (const x of arr(s.samples)) {
        const m = num(obj(x).mono_ms);
        if (m === null) continue;
        if (samples.length && m <= samples[samples.length - 1].mono) continue;
        samples.push(sampleOf(m, x.on_air, x.inputs));
        const w = isoMs(x.time);
        if (st.monoOffset === null && w !== null) st.monoOffset = w - m;
      }
      const last = samples.length ? samples[samples.length - 1].mono : -Infinity;
      const mine = (st.history.get(s.name) || []).filter((x) => x.mono > last);
      st.history.set(s.name, samples.concat(mine).slice(-MAX_POINTS));
    }
  }

  // Returns true when the event is new to us.
  function addEvent(ev, live) {
    if (!ev || num(ev.id) === null || st.events.has(ev.id)) return false;
    const newest = ev.id > hf.lastEventId;
    st.events.set(ev.id, ev);
    hf.eventsSeen++;
    if (newest) hf.lastEventId = ev.id;
    // A live switch shows at once, not at the next stats frame.
    if (live && newest) applyEventToStream(ev);
    insertEventNode(ev, live);
    while (st.events.size > MAX_EVENTS) {
      const oldest = Math.min(...st.events.keys());
      st.events.delete(oldest);
      const n = $('events').querySelector('[data-id="' + oldest + '"]');
      if (n) n.remove();
    }
    return true;
  }

  function applyEventToStream(ev) {
    const s = st.streams.get(ev.stream);
    if (!s || typeof ev.to !== 'string') return;
    if (ev.type in SWITCH_TYPES) {
      s.on_air = ev.type === 'slate_on' ? 'slate' : (ev.to === 'none' ? null : ev.to);
      for (const i of arr(s.inputs)) if (i) i.on_air = i.name === s.on_air;
    } else if (ev.type === 'input_state') {
      for (const i of arr(s.inputs)) if (i && i.name === ev.input) i.health = ev.to;
    } else {
      return;
    }
    renderStreams();
  }

  function alertKey(n) {
    return str(n.alert) + '|' + str(n.stream) + '|' + str(n.input);
  }

  // applyAlertSnapshot(a, frames): the relay's alerts, then the alert
  // frames that came while it loaded and are newer than all of it
  // (notification ids only grow), so a late snapshot does not bring back
  // an alert that a frame resolved.
  function applyAlertSnapshot(a, frames) {
    const firing = arr(a.firing).filter((n) => n && typeof n === 'object');
    const recent = arr(a.recent).filter((n) => n && n.state === 'resolved');
    let newest = -Infinity;
    for (const n of firing.concat(recent)) newest = Math.max(newest, num(n.id) || 0);
    st.firing.clear();
    for (const n of firing) st.firing.set(alertKey(n), n);
    st.recent = recent.slice(0, MAX_RECENT_ALERTS);
    for (const n of frames) if (num(n.id) !== null && n.id > newest) applyAlert(n);
  }

  function applyAlert(n) {
    const key = alertKey(n);
    const cur = st.firing.get(key);
    if (cur && num(cur.id) !== null && num(n.id) !== null && n.id < cur.id) return;
    if (n.state === 'firing') {
      st.firing.set(key, n);
    } else if (n.state === 'resolved') {
      st.firing.delete(key);
      st.recent = [n].concat(st.recent.filter((r) => r.id !== n.id))
        .slice(0, MAX_RECENT_ALERTS);
    }
  }

  // ---- rendering: streams ---------------------------------------------------

  function onAirKind(s) {
    if (s.on_air === 'slate') return 'slate';
    if (typeof s.on_air !== 'string') return 'none';
    const i = arr(s.inputs).find((x) => x && x.name === s.on_air);
    return i && i.index === 0 ? 'primary' : 'backup';
  }

  function inputColour(s, name) {
    const idx = arr(s.inputs).findIndex((x) => x && x.name === name);
    return idx < 0 ? '#888' : COLOURS[idx % COLOURS.length];
  }

  function stat(k, v, cls) {
    return el('div', { class: 'stat' }, el('span', { class: 'k' }, k),
      el('span', { class: 'v ' + (cls || '') }, v));
  }

  function makeCard(name) {
    const c = { charts: [] };
    c.root = el('article', { class: 'stream', 'data-testid': 'stream',
      'data-stream': name });
    c.head = el('div', { class: 'stream-head' });
    c.outputs = el('div', { class: 'outputs' });
    c.tbody = el('tbody');
    const thead = el('thead', null, el('tr', null, ...['Input', 'Health',
      'Loss', 'Jitter', 'Bitrate', 'RTT', 'Last pkt', 'Packets'].map(
      (h) => el('th', null, h))));
    const charts = el('div', { class: 'charts' });
    for (const def of CHARTS) {
      const canvas = el('canvas', { 'data-chart': def.key });
      const now = el('span', { class: 'now' });
      charts.append(el('div', { class: 'chart' },
        el('div', { class: 'title' }, el('span', null, def.title), now), canvas));
      c.charts.push({ def: def, canvas: canvas, now: now });
    }
    c.root.append(c.head, c.outputs,
      el('table', { class: 'inputs' }, thead, c.tbody), charts);
    return c;
  }

  function renderStreams() {
    const box = $('streams');
    for (const [name, c] of st.cards) {
      if (!st.streams.has(name)) { c.root.remove(); st.cards.delete(name); }
    }
    const names = [...st.streams.keys()].sort();
    $('streams-empty').hidden = names.length > 0;
    for (const name of names) {
      let c = st.cards.get(name);
      if (!c) { c = makeCard(name); st.cards.set(name, c); }
      if (c.root.parentNode !== box) box.append(c.root);
      renderCard(c, st.streams.get(name));
    }
  }

  function renderCard(c, s) {
    const kind = onAirKind(s);
    const air = kind === 'slate' ? 'SLATE' : kind === 'none' ? '-' : s.on_air;
    c.root.dataset.onAir = str(s.on_air);
    const failovers = num(s.failovers_total);
    c.head.replaceChildren(
      el('div', { class: 'stream-name' }, str(s.name),
        el('small', null, 'up ' + span(s.uptime_s))),
      el('div', { class: 'on-air', 'data-testid': 'on-air', 'data-kind': kind,
        'data-on-air': str(s.on_air) },
      el('span', { class: 'label' }, 'ON AIR'),
      el('span', { class: 'value' }, air)),
      el('div', { class: 'stats' },
        stat('Mode', el('span', { class: 'mode', 'data-mode': str(s.failover) },
          str(s.failover).toUpperCase())),
        stat('Failovers', str(s.failovers_total), failovers ? 'warn' : ''),
        stat('Switches', str(s.switches_total)),
        stat('Reverts', str(s.reverts_total)),
        stat('Manual', str(s.manual_switches_total)),
        stat('Slate s', fix(s.slate_seconds_total, 1),
          num(s.slate_seconds_total) ? 'bad' : ''),
        s.program_error ? stat('Program', str(s.program_error), 'bad') : null));
    const outs = arr(s.outputs).filter(Boolean);
    c.outputs.replaceChildren(el('span', null, 'Outputs'),
      ...(outs.length ? outs.map((o) => el('span', { 'data-testid': 'output',
        'data-output': str(o.name) }, str(o.name) + ' ', el('b', null, str(o.viewers)),
      ' viewers \u00b7 ' + str(o.kind) + ' ' + str(o.url) + outputExtra(o))) : ['-']));
    c.tbody.replaceChildren(...arr(s.inputs).filter(Boolean).map((i) => inputRow(s, i)));
    drawCharts(c, s);
  }

  // The rung an output sends (with a ladder) and what its RTP repair sent.
  function outputExtra(o) {
    let t = '';
    if (num(o.rung_bitrate_bps) !== null) {
      t += ' \u00b7 rung ' + str(o.rung) + ' (' +
        (o.rung_bitrate_bps / 1e6).toFixed(2) + ' Mb/s, ' +
        str(o.rung_switches) + ' switches)';
    }
    if (o.kind === 'rtp' && num(o.rtx_sent) !== null) {
      t += ' \u00b7 rtx ' + str(o.rtx_sent) + ' \u00b7 fec ' +
        fix(o.fec_overhead_percent, 0, ' %');
    }
    return t;
  }

  function inputRow(s, i) {
    const loss = num(i.loss_ratio);
    const age = num(i.last_packet_age_ms);
    const health = HEALTHS.includes(i.health) ? i.health : '-';
    return el('tr', { 'data-testid': 'input', 'data-input': str(i.name),
      'data-health': health, 'data-on-air': i.on_air === true },
    el('td', null, el('span', { class: 'swatch',
      style: 'background:' + inputColour(s, i.name) }),
    el('span', { class: 'in-name' }, str(i.name),
      i.on_air === true ? el('span', { class: 'air' }, 'ON AIR') : null),
    el('span', { class: 'in-url' }, str(i.kind))),
    el('td', null, el('span', { class: 'health', 'data-health': health }, health)),
    el('td', { class: loss === null ? '' : loss > 0.02 ? 'bad' : loss > 0 ? 'warn' : '' },
      loss === null ? '-' : (loss * 100).toFixed(2) + ' %'),
    el('td', null, fix(i.jitter_ms, 1, ' ms')),
    el('td', null, num(i.bitrate_bps) === null ? '-' : (i.bitrate_bps / 1e6).toFixed(2) + ' Mb/s'),
    el('td', null, fix(i.rtt_ms, 1, ' ms')),
    el('td', { class: age !== null && age > 1000 ? 'bad' : '' },
      age === null ? '-' : age < 10000 ? age + ' ms' : span(age / 1000)),
    el('td', null, str(i.packets)));
  }

  // ---- rendering: charts -----------------------------------------------------

  function niceMax(v, min) {
    v = Math.max(v, min);
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function drawCharts(c, s) {
    const h = st.history.get(s.name) || [];
    const names = arr(s.inputs).filter(Boolean).map((i) => i.name);
    for (const ch of c.charts) {
      drawChart(ch, s, h, names);
      const last = h.length ? h[h.length - 1] : null;
      const onAirIn = last && last.inputs.find((i) => i.name === s.on_air);
      ch.now.textContent = onAirIn ? fix(ch.def.get(onAirIn), ch.def.dec) : '-';
    }
  }

  function drawChart(ch, s, h, names) {
    const cv = ch.canvas;
    const dpr = window.devicePixelRatio || 1;
    const W = cv.clientWidth, H = cv.clientHeight;
    if (!W || !H) return;
    if (cv.width !== Math.round(W * dpr) || cv.height !== Math.round(H * dpr)) {
      cv.width = Math.round(W * dpr);
      cv.height = Math.round(H * dpr);
    }
    const g = cv.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    const L = 34, R = 6, T = 7, B = 21, BAND = 5;
    const pw = W - L - R, ph = H - T - B - BAND;
    const end = h.length ? h[h.length - 1].mono : 0;
    // The last 5 minutes, or less while there is less (at least 1 minute).
    const span = Math.min(WINDOW_MS, Math.max(MIN_WINDOW_MS,
      h.length ? end - h[0].mono : 0));
    const start = end - span;
    const x = (m) => L + ((m - start) / span) * pw;
    let max = 0;
    for (const smp of h) {
      for (const i of smp.inputs) {
        const v = ch.def.get(i);
        if (v !== null && v > max) max = v;
      }
    }
    max = niceMax(max, ch.def.min);
    const y = (v) => T + ph - (Math.min(v, max) / max) * ph;
    g.font = '10px system-ui, sans-serif';
    g.lineWidth = 1;
    // Grid and y labels.
    g.strokeStyle = '#27303c';
    g.fillStyle = '#8391a3';
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (const f of [0, 0.5, 1]) {
      const yy = Math.round(y(max * f)) + 0.5;
      g.beginPath(); g.moveTo(L, yy); g.lineTo(L + pw, yy); g.stroke();
      g.fillText(String(+(max * f).toFixed(2)), L - 4, yy);
    }
    // Time axis, in the relay's wall-clock time.
    g.textAlign = 'center';
    g.textBaseline = 'top';
    if (h.length && st.monoOffset !== null) {
      const endWall = end + st.monoOffset;
      // The shortest step whose labels do not touch.
      const steps = [10000, 15000, 30000, 60000, 120000, 300000];
      const step = steps.find((t) => (t / span) * pw >= (t < 60000 ? 56 : 40)) ||
        WINDOW_MS;
      for (let t = Math.floor(endWall / step) * step; t > endWall - span; t -= step) {
        const xx = Math.round(x(t - st.monoOffset)) + 0.5;
        g.strokeStyle = '#27303c';
        g.beginPath(); g.moveTo(xx, T); g.lineTo(xx, T + ph + BAND + 3); g.stroke();
        const d = new Date(t);
        const label = pad(d.getHours()) + ':' + pad(d.getMinutes()) +
          (step < 60000 ? ':' + pad(d.getSeconds()) : '');
        if (xx > L + 22 && xx < L + pw - 22) g.fillText(label, xx, T + ph + BAND + 5);
      }
    } else {
      g.fillText(h.length ? '-5 min' : 'no data yet', L + 24, T + ph + BAND + 6);
    }
    // On air along the bottom: the on-air input's colour, red for slate.
    for (let k = 0; k < h.length; k++) {
      const a = h[k].onAir;
      if (!a) continue;
      const x0 = x(h[k].mono);
      const x1 = k + 1 < h.length ? x(h[k + 1].mono) : x0 + 1;
      g.fillStyle = a === 'slate' ? SLATE_COLOUR : inputColour(s, a);
      g.fillRect(Math.max(L, x0), T + ph + 2, Math.max(1, x1 - x0), BAND);
    }
    // Switch moments from the timeline, as dashed lines.
    g.setLineDash([3, 3]);
    for (const ev of st.events.values()) {
      if (ev.stream !== s.name || !(ev.type in SWITCH_TYPES) || num(ev.mono_ms) === null) continue;
      if (ev.mono_ms < start || ev.mono_ms > end + 2000) continue;
      const xx = Math.round(Math.min(x(ev.mono_ms), L + pw)) + 0.5;
      g.strokeStyle = ev.type === 'slate_on' ? SLATE_COLOUR : '#f2a72e';
      g.beginPath(); g.moveTo(xx, T); g.lineTo(xx, T + ph); g.stroke();
    }
    g.setLineDash([]);
    // One line per input; a gap in the samples (or no value) breaks it.
    g.lineWidth = 1.5;
    for (const name of names) {
      g.strokeStyle = inputColour(s, name);
      g.beginPath();
      let pen = false, prev = -Infinity;
      for (const smp of h) {
        const i = smp.inputs.find((q) => q.name === name);
        const v = i ? ch.def.get(i) : null;
        if (v === null || smp.mono - prev > 2500) pen = false;
        prev = smp.mono;
        if (v === null) continue;
        if (pen) g.lineTo(x(smp.mono), y(v)); else g.moveTo(x(smp.mono), y(v));
        pen = true;
      }
      g.stroke();
    }
  }

  // ---- rendering: timeline and alerts -----------------------------------------

  function eventNode(ev, fresh) {
    const hl = SWITCH_TYPES[ev.type];
    const lost = ev.type === 'input_state' && ev.to === 'lost';
    const cls = 'event' + (hl ? ' ' + hl : '') + (lost ? ' hl-slate' : '') +
      (fresh ? ' fresh' : '');
    const wall = isoMs(ev.time);
    return el('li', { class: cls, 'data-testid': 'event', 'data-id': ev.id,
      'data-type': str(ev.type), 'data-stream': str(ev.stream),
      'data-input': str(ev.input), 'data-from': str(ev.from), 'data-to': str(ev.to) },
    el('span', { class: 't', title: str(ev.time) }, clock(wall, true)),
    el('span', null,
      el('span', { class: 'type' }, str(ev.type).replace('_', ' ')),
      el('span', { class: 's' }, str(ev.stream)),
      ev.input ? el('span', { class: 'inp' }, str(ev.input)) : null,
      el('span', { class: 'ft' }, str(ev.from), ' \u2192 ',
        el('span', { class: HEALTHS.includes(ev.to) ? 'to-' + ev.to : null },
          str(ev.to)))),
    el('span', { class: 'why' }, str(ev.reason)));
  }

  // Newest first: the list is kept in descending id order.
  function insertEventNode(ev, fresh) {
    const list = $('events');
    const node = eventNode(ev, fresh);
    let before = list.firstElementChild;
    while (before && Number(before.dataset.id) > ev.id) before = before.nextElementSibling;
    list.insertBefore(node, before);
    hf.eventShownAt[ev.id] = Date.now();
  }

  function alertNode(n, resolved) {
    const started = isoMs(n.started_at);
    const where = [n.stream, n.input].filter((x) => typeof x === 'string' && x).join(' / ');
    let since;
    if (resolved) {
      since = 'resolved ' + clock(isoMs(n.resolved_at)) + ' after ' + span(n.duration_s);
    } else {
      const age = relayAge(n);
      since = 'since ' + clock(started) +
        (age === null ? '' : ' (' + span(age / 1000) + ')');
    }
    return el('div', { class: 'alert', 'data-testid': resolved ? 'alert-resolved' : 'alert',
      'data-alert': str(n.alert), 'data-severity': str(n.severity), 'data-stream': str(n.stream) },
    el('div', { class: 'a-head' },
      el('span', { class: 'sev' }, str(n.severity)),
      el('span', { class: 'a-name' }, str(n.alert)),
      where ? el('span', { class: 'a-where' }, where) : null,
      el('span', { class: 'a-since' }, since)),
    el('div', { class: 'a-sum' }, str(n.summary)));
  }

  // How long ago (ms) a notification started, by the relay's mono clock
  // (advanced by ours since its last frame), not by the browser's wall
  // clock, which may not agree with the relay's.
  function relayAge(n) {
    const start = num(n.started_mono_ms);
    if (!st.relayMono || start === null) return null;
    return st.relayMono.mono + (performance.now() - st.relayMono.at) - start;
  }

  function renderAlerts() {
    const rank = (n) => (n.severity === 'critical' ? 0 : 1);
    const firing = [...st.firing.values()].sort((a, b) => rank(a) - rank(b) ||
      (isoMs(b.started_at) || 0) - (isoMs(a.started_at) || 0));
    if (hf.alertsAvailable === false) {
      $('alerts-firing').replaceChildren(el('span', { class: 'empty' },
        'alerts are not available on this relay'));
    } else {
      $('alerts-firing').replaceChildren(...firing.map((n) => alertNode(n, false)));
    }
    $('alerts-recent').replaceChildren(...st.recent.map((n) => alertNode(n, true)));
    $('alerts-count').textContent = firing.length ? String(firing.length) : '';
    document.title = (firing.length ? '(' + firing.length + ') ' : '') + 'Holdfast';
  }

  function renderSummary() {
    const list = [...st.streams.values()];
    const slate = list.filter((s) => s.on_air === 'slate').length;
    const backup = list.filter((s) => onAirKind(s) === 'backup').length;
    $('summary').textContent = list.length + ' stream' + (list.length === 1 ? '' : 's') +
      (backup ? ' \u00b7 ' + backup + ' on backup' : '') +
      (slate ? ' \u00b7 ' + slate + ' on SLATE' : '');
    $('events-count').textContent = st.events.size ? String(st.events.size) : '';
  }

  function renderAll() {
    renderStreams();
    renderAlerts();
    renderSummary();
  }

  // Once a second: the clock, alert ages, and the silent-connection check.
  function tick() {
    $('clock').textContent = clock(Date.now());
    const sv = st.server;
    if (sv) {
      $('relay-info').textContent = 'relay ' + str(sv.version) + ' \u00b7 up ' +
        (sv.up === null ? '-' : span(sv.up + (performance.now() - sv.at) / 1000));
    }
    const quiet = performance.now() - Math.max(st.lastStatsAt, st.openedAt);
    if (hf.conn === 'live' && st.lastStatsAt && quiet > STALE_MS) setConn('stale');
    // A connection can go quiet without closing (the relay's host gone, a
    // stuck proxy): EventSource would wait on it for ever.
    if (st.es && quiet > 2 * STALE_MS) { hf.restarts++; connect(); }
    if (st.firing.size) renderAlerts();
  }

  setInterval(tick, 1000);
  window.addEventListener('resize', renderStreams);
  tick();
  connect();
}());
