// Drift: one chart per detector of its statistic at every monitor pass (GET /v1/drift/history, the last 24 h) — a line
// per cohort or feature with the threshold it is held against — and a table of the detections (GET /v1/alerts,
// sources drift-*) with the action each ran (alert-only, retrain, serve-global) and how that ended.
'use strict';

const Drift = (() => {
  const DETECTORS = {
    'drift-reward-rate': 'Reward rate (newer minus older click rate; a drop below the bound)',
    'drift-fallback-share': 'Fallback share (rise in responses served by popularity or cold start)',
    'drift-feature-psi': 'Feature PSI (live users against the segmentation version\'s population)',
    'drift-cohort-share': 'Cohort shares PSI (live users per cohort against the version\'s sample)',
  };
  const cohortName = (id) => (id === null || id === undefined ? 'all users' : `cohort #${id}`);

  function clear(text = 'Not loaded.') {
    for (const canvas of document.querySelectorAll('#drift-charts canvas')) Charts.clear(canvas);
    $('drift-charts').replaceChildren(placeholder(text));
    $('drift').tBodies[0].replaceChildren(placeholder(text, 8));
  }

  async function load() {
    const [data, history] = await Promise.all([api('/v1/alerts?limit=1000'), api('/v1/drift/history')]);
    return () => render(data.alerts.filter((a) => a.source.startsWith('drift-')), history.series);
  }

  // A PSI threshold is one number for every feature, so it is drawn once; a rate detector's bound depends on each
  // cohort's counts, so each cohort gets its own threshold line.
  const SHARED_THRESHOLD = new Set(['drift-feature-psi', 'drift-cohort-share']);
  const seriesName = (s) => (s.feature ? s.feature : cohortName(s.cohortId));

  function renderCharts(history) {
    for (const canvas of document.querySelectorAll('#drift-charts canvas')) Charts.clear(canvas);
    if (history.length === 0) {
      $('drift-charts').replaceChildren(el('p', {}, 'The drift monitor has measured nothing yet (since it last started; the history is kept in memory).'));
      return;
    }
    const bySource = new Map();
    for (const s of history) {
      if (!bySource.has(s.detector)) bySource.set(s.detector, []);
      bySource.get(s.detector).push(s);
    }
    const blocks = [];
    const draws = [];
    for (const [source, list] of [...bySource.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const canvas = el('canvas', { id: `drift-chart-${source}`, role: 'img', 'aria-label': `${source}: statistic at each monitor pass per ${source === 'drift-feature-psi' ? 'feature' : 'cohort'}, with its threshold` });
      blocks.push(el('article', { class: 'drift-detector', 'data-source': source },
        el('h3', {}, DETECTORS[source] || source),
        el('div', { class: 'chart-box small' }, canvas)));
      const series = [];
      for (const s of list) {
        series.push({ label: `${seriesName(s)}: ${s.statistic}`, points: s.points.map((p) => ({ x: new Date(p.at), y: p.value })) });
        if (!SHARED_THRESHOLD.has(source)) {
          series.push({ label: `${seriesName(s)} threshold`, points: s.points.map((p) => ({ x: new Date(p.at), y: p.threshold })) });
        }
      }
      if (SHARED_THRESHOLD.has(source)) {
        const longest = list.reduce((a, b) => (b.points.length > a.points.length ? b : a));
        series.push({ label: 'threshold', points: longest.points.map((p) => ({ x: new Date(p.at), y: p.threshold })) });
      }
      draws.push(() => Charts.lines(canvas, series, { axis: source === 'drift-feature-psi' ? 'PSI' : list[0].statistic }));
    }
    $('drift-charts').replaceChildren(...blocks);
    for (const draw of draws) draw();
  }

  function render(alerts, history) {
    renderCharts(history);
    if (alerts.length === 0) {
      $('drift').tBodies[0].replaceChildren(el('tr', {}, el('td', { colspan: 8 }, 'No drift detected (of the alerts still kept).')));
      return;
    }

    $('drift').tBodies[0].replaceChildren(...alerts.slice(0, 100).map((a) => {
      const action = a.action;
      return el('tr', { class: `drift-row outcome-${action?.outcome ?? 'none'}`, 'data-source': a.source },
        el('td', {}, new Date(a.at).toLocaleString()), el('td', {}, a.source), el('td', {}, cohortName(a.cohortId)),
        el('td', {}, `${a.statistic} ${Number(a.value).toPrecision(3)} (threshold ${Number(a.threshold).toPrecision(3)})`),
        el('td', { class: 'drift-action' }, action ? action.action : '–'),
        el('td', { class: 'drift-outcome' }, action ? action.outcome : '–'),
        el('td', { class: 'message' }, action ? action.detail : ''),
        el('td', { class: 'message' }, a.message));
    }));
  }

  Views.register({ name: 'Drift', panel: 'drift-panel', adminOnly: false, load, clear });
  return { clear };
})();
