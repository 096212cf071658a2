// The operators' cluster panel (admin keys): silos, this gateway's ingestion, and the backlog — stream lag per
// partition in cluster mode, the in-memory backlog embedded — from GET /v1/admin/cluster, with the lag and the
// ingestion rates over time.
//
// Rates are the change of a counter between two reads divided by the time between them; the history behind the
// charts lives in this tab only (the last HISTORY reads) and is dropped whenever the panel is cleared, so a failed or
// refused refresh never leaves an older picture on screen. A counter that went down (a restarted gateway or silo, a
// partition that changed owner) gives no rate for that step rather than a negative one.
'use strict';

const Cluster = (() => {
  const HISTORY = 120;
  let history = [];

  const num = (v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString());
  const mib = (bytes) => (bytes === null || bytes === undefined ? '–' : `${(bytes / 1048576).toFixed(0)} MiB`);
  const secs = (s) => (s === null || s === undefined ? '–' : s < 1 ? '< 1 s' : s < 120 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`);
  const rateText = (r, unit) => (r === null || r === undefined ? '–' : `${r.toFixed(1)} ${unit}/s`);

  function clear(text = 'Not loaded.') {
    history = [];
    for (const id of ['cluster-lag-chart', 'cluster-rate-chart']) {
      const canvas = document.getElementById(id);
      if (canvas) Charts.clear(canvas);
    }
    $('cluster').replaceChildren(placeholder(text));
  }

  // One read's counters, keyed so rates can be taken between consecutive reads.
  function sample(c) {
    const partitions = new Map(c.partitions.map((p) => [p.partition, p]));
    const backlog = c.embedded ? (c.embeddedLog ? c.embeddedLog.backlog : null) : c.partitions.reduce((sum, p) => (p.lag === null || sum === null ? null : sum + p.lag), 0);
    return { at: new Date(c.readAt).getTime(), accepted: c.gateway ? c.gateway.eventsAccepted : null, applied: c.eventsApplied, partitions, backlog };
  }

  function rate(now, before, pick) {
    if (!before) return null;
    const a = pick(now);
    const b = pick(before);
    const dt = (now.at - before.at) / 1000;
    if (a === null || a === undefined || b === null || b === undefined || dt <= 0 || a < b) return null;
    return (a - b) / dt;
  }

  const appendedOf = (p) => (p ? p.appended : null);
  const sumAppended = (s) => {
    let sum = 0;
    for (const p of s.partitions.values()) {
      if (p.appended === null || p.appended === undefined) return null;
      sum += p.appended;
    }
    return s.partitions.size ? sum : null;
  };

  function render(c) {
    const now = sample(c);
    const before = history.length ? history[history.length - 1] : null;
    now.acceptedRate = rate(now, before, (s) => s.accepted);
    now.appliedRate = rate(now, before, (s) => s.applied);
    now.appendedRate = rate(now, before, sumAppended);
    now.partitionRates = new Map([...now.partitions.keys()].map((p) => [p, rate(now, before, (s) => appendedOf(s.partitions.get(p)))]));
    history.push(now);
    if (history.length > HISTORY) history.shift();

    const g = c.gateway;
    const summary = el('div', { class: 'stats cluster-summary' },
      stat('Mode', c.embedded ? 'Embedded (gateway and silo in one process)' : `Cluster: ${c.silos.length} silo(s), ${c.partitionCount} stream partition(s)`),
      stat('Active model', c.activeModelVersion ? `v${c.activeModelVersion}` : 'none yet'),
      stat('Accepted by this gateway', before ? rateText(now.acceptedRate, 'events') : `${num(g?.eventsAccepted)} events (rate from the next refresh)`, 'rate-accepted'),
      c.embedded ? '' : stat('Appended to the stream', before ? rateText(now.appendedRate, 'entries') : 'rate from the next refresh', 'rate-appended'),
      stat('Applied by user grains', before ? rateText(now.appliedRate, 'events') : `${num(c.eventsApplied)} events (rate from the next refresh)`, 'ingestion-rate'),
      stat('Backlog', backlogText(c), 'backlog'));

    const silos = el('table', { id: 'silos' },
      el('caption', {}, 'Silos (membership, runtime statistics, the model each silo loaded, events its user grains applied)'),
      el('thead', {}, el('tr', {}, ...['Silo', 'Address', 'Status', 'Activations', 'CPU', 'Memory', 'Available', 'Model loaded', 'Load state', 'Events applied', 'Partitions held']
        .map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...c.silos.map((s) => el('tr', { class: 'silo', 'data-silo': s.name },
        el('th', { scope: 'row' }, s.name), el('td', {}, s.address), el('td', { class: 'silo-status' }, s.status),
        el('td', {}, s.activations ?? '–'), el('td', {}, s.cpuPercent === null || s.cpuPercent === undefined ? '–' : `${s.cpuPercent}%`),
        el('td', {}, mib(s.memoryBytes)), el('td', {}, mib(s.availableMemoryBytes)),
        el('td', { class: 'silo-model' }, s.modelVersion ? `v${s.modelVersion}${s.modelVersion === c.activeModelVersion ? '' : ' (not the active one)'}` : 'none reported'),
        el('td', { class: `silo-load ${s.modelLoadState === 'failed' ? 'error' : ''}` }, s.modelLoadState === 'failed' ? `failed${s.failedModelVersion ? ` (v${s.failedModelVersion})` : ''}: ${s.modelError}` : s.modelLoadState),
        el('td', { class: s.statsError ? 'error' : '' }, s.statsError ? `no stats: ${s.statsError}` : num(s.eventsApplied)),
        el('td', {}, c.embedded ? '–' : num(s.partitionsOwned))))));

    const parts = [summary, silos];
    if (c.embedded) {
      parts.push(el('p', { class: 'note', id: 'embedded-backlog-note' }, 'Embedded mode has no stream partitions: events go to an in-memory stream after the training log files took them. '
        + 'Its backlog — published and not yet applied by user grains — is the equivalent of a partition\'s lag; above the limit the gateway answers 503 with Retry-After.'));
    } else {
      if (c.partitionsError) parts.push(el('p', { class: 'error', id: 'partitions-error', role: 'alert' }, `Not every partition could be read: ${c.partitionsError}`));
      parts.push(partitionTable(c, now));
    }
    const lagCanvas = el('canvas', { id: 'cluster-lag-chart', role: 'img', 'aria-label': c.embedded ? 'In-memory backlog over time' : 'Stream lag per partition over time, in entries' });
    const rateCanvas = el('canvas', { id: 'cluster-rate-chart', role: 'img', 'aria-label': 'Ingestion rate over time: accepted, appended, applied' });
    parts.push(el('div', { class: 'detail-grid' },
      el('div', {}, el('h3', {}, c.embedded ? 'Backlog over time' : 'Lag per partition over time'), el('div', { class: 'chart-box small' }, lagCanvas)),
      el('div', {}, el('h3', {}, 'Ingestion rate over time'), el('div', { class: 'chart-box small' }, rateCanvas))));
    for (const id of ['cluster-lag-chart', 'cluster-rate-chart']) {
      const old = document.getElementById(id);
      if (old) Charts.clear(old);
    }
    $('cluster').replaceChildren(...parts);
    $('orleans-note').replaceChildren(...(c.orleansDashboard
      ? ['Operators: the Orleans dashboard (grains, silos, call rates) is at ', el('a', { href: '/orleans/', id: 'orleans-link' }, '/orleans'), ' for admin keys.']
      : ['The Orleans dashboard is off on this gateway (Cohortly:OrleansDashboard:Enabled; off by default except with the embedded demo, because it walks every activation each second).']));
    drawLag(lagCanvas, c);
    drawRates(rateCanvas, c);
  }

  function stat(label, value, id) {
    return el('div', { class: 'stat' }, el('span', { class: 'label' }, label), el('span', id ? { id } : {}, value));
  }

  function backlogText(c) {
    if (c.embedded) {
      const e = c.embeddedLog;
      return e ? `${num(e.backlog)} events not yet applied (limit ${num(e.maxBacklog)})` : 'not reported';
    }
    let lag = 0;
    let unknown = false;
    let oldest = 0;
    let pending = 0;
    for (const p of c.partitions) {
      if (p.lag === null || p.lag === undefined) unknown = true;
      else lag += p.lag;
      pending += p.pending;
      oldest = Math.max(oldest, p.lagAgeSeconds);
    }
    return `${unknown ? '≥ ' : ''}${num(lag)} entries not yet delivered${lag ? ` (oldest ${secs(oldest)})` : ''} · ${num(pending)} delivered, not yet saved`;
  }

  function partitionTable(c, now) {
    const rows = c.partitions.map((p) => {
      const owner = p.ownerSilo || (p.leaseHolder ? `none live (lease: ${p.leaseHolder})` : 'none');
      const lagging = p.lag > 0 && p.lagAgeSeconds >= 5;
      return el('tr', { class: `partition${lagging ? ' lagging' : ''}${p.ownerSilo ? '' : ' unowned'}`, 'data-partition': String(p.partition) },
        el('th', { scope: 'row' }, String(p.partition)),
        el('td', { class: `partition-owner${p.ownerSilo ? '' : ' error'}` }, owner),
        el('td', { class: 'partition-appended' }, num(p.appended)),
        el('td', {}, rateText(now.partitionRates.get(p.partition), 'entries')),
        el('td', { class: 'partition-delivered' }, num(p.delivered)),
        el('td', { class: 'partition-acknowledged' }, num(p.acknowledged)),
        el('td', { class: 'partition-pending' }, num(p.pending)),
        el('td', {}, p.pending ? secs(p.oldestPendingAgeSeconds) : '–'),
        el('td', { class: 'partition-lag' }, p.lag === null || p.lag === undefined ? 'unknown' : `${p.lagCapped ? '≥ ' : ''}${num(p.lag)}`),
        el('td', { class: `partition-lag-age${lagging ? ' error' : ''}` }, p.lag ? secs(p.lagAgeSeconds) : '–'));
    });
    return el('table', { id: 'partitions' },
      el('caption', {}, 'Stream partitions, in entries (one entry = one user\'s events from one request), as each partition\'s owner read them from Redis'),
      el('thead', {}, el('tr', {}, ...['Partition', 'Owner silo', 'Appended', 'Appended rate', 'Delivered', 'Acknowledged', 'Pending', 'Oldest pending', 'Lag', 'Lag age']
        .map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...(rows.length ? rows : [placeholder('No partition reported.', 10)])));
  }

  const time = (v) => new Date(v).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

  // Both charts span the same window (the kept reads), so they line up; a single read gets half a minute either side.
  function span() {
    const first = history.length ? history[0].at : Date.now();
    const last = history.length ? history[history.length - 1].at : first;
    return last > first ? { min: first, max: last } : { min: first - 30000, max: last + 30000 };
  }

  function draw(canvas, datasets, axis) {
    const chart = Charts.draw(canvas, {
      type: 'line',
      data: { datasets },
      options: {
        scales: {
          x: { type: 'linear', ...span(), ticks: { callback: time, maxTicksLimit: 6 } },
          y: { beginAtZero: true, title: { display: true, text: axis } },
        },
        plugins: { tooltip: { callbacks: { title: (items) => (items.length ? time(items[0].parsed.x) : '') } } },
      },
    });
    canvas.dataset.series = String(datasets.length);
    canvas.dataset.points = String(datasets.reduce((n, d) => n + d.data.length, 0));
    return chart;
  }

  function drawLag(canvas, c) {
    const palette = ['#3657d6', '#d9480f', '#2b8a3e', '#ae3ec9', '#e8590c', '#0c8599', '#c2255c', '#5c940d', '#1864ab', '#862e9c'];
    if (c.embedded) {
      draw(canvas, [{ label: 'backlog (events)', data: history.filter((s) => s.backlog !== null).map((s) => ({ x: s.at, y: s.backlog })), borderColor: palette[0], backgroundColor: palette[0], pointRadius: 2 }], 'events not yet applied');
      return;
    }
    const datasets = c.partitions.map((p, i) => ({
      label: `partition ${p.partition}`,
      data: history.map((s) => s.partitions.get(p.partition)).map((q, j) => (q && q.lag !== null ? { x: history[j].at, y: q.lag } : null)).filter((d) => d),
      borderColor: palette[i % palette.length],
      backgroundColor: palette[i % palette.length],
      pointRadius: 2,
    }));
    draw(canvas, datasets, 'entries not yet delivered');
  }

  function drawRates(canvas, c) {
    const series = (label, pick, color) => ({
      label,
      data: history.filter((s) => pick(s) !== null && pick(s) !== undefined).map((s) => ({ x: s.at, y: pick(s) })),
      borderColor: color,
      backgroundColor: color,
      pointRadius: 2,
    });
    const datasets = [series('accepted by this gateway (events/s)', (s) => s.acceptedRate, '#3657d6')];
    if (!c.embedded) datasets.push(series('appended (entries/s)', (s) => s.appendedRate, '#d9480f'));
    datasets.push(series('applied by user grains (events/s)', (s) => s.appliedRate, '#2b8a3e'));
    draw(canvas, datasets, 'per second');
  }

  async function load() {
    const c = await api('/v1/admin/cluster');
    return () => render(c);
  }

  // Mounted through the views registry (views.js): refreshed, cleared and shown to admin keys like the other views.
  Views.register({ name: 'Cluster', panel: 'cluster-panel', adminOnly: true, load, clear });
  return { clear, render };
})();
