// Drift: the drift monitor's detections (GET /v1/alerts, sources drift-*) as one chart per detector — each cohort's
// statistic at its detections against the threshold it crossed — and a table with the action each detection ran
// (alert-only, retrain, serve-global) and how that ended.
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
    const data = await api('/v1/alerts?limit=1000');
    return () => render(data.alerts.filter((a) => a.source.startsWith('drift-')));
  }

  function render(alerts) {
    for (const canvas of document.querySelectorAll('#drift-charts canvas')) Charts.clear(canvas);
    if (alerts.length === 0) {
      $('drift-charts').replaceChildren(el('p', {}, 'No drift detected (of the alerts still kept).'));
      $('drift').tBodies[0].replaceChildren(el('tr', {}, el('td', { colspan: 8 }, 'No drift detected (of the alerts still kept).')));
      return;
    }
    const bySource = new Map();
    for (const a of [...alerts].reverse()) {
      if (!bySource.has(a.source)) bySource.set(a.source, []);
      bySource.get(a.source).push(a);
    }
    const blocks = [];
    const draws = [];
    for (const [source, list] of [...bySource.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const canvas = el('canvas', { id: `drift-chart-${source}`, role: 'img', 'aria-label': `${source}: statistic at each detection per cohort, against its threshold` });
      blocks.push(el('article', { class: 'drift-detector', 'data-source': source },
        el('h3', {}, DETECTORS[source] || source),
        el('div', { class: 'chart-box small' }, canvas)));
      // One series per cohort (value), one per cohort for the threshold it was measured against.
      const cohorts = new Map();
      for (const a of list) {
        const key = a.cohortId ?? null;
        if (!cohorts.has(key)) cohorts.set(key, []);
        cohorts.get(key).push(a);
      }
      const series = [];
      for (const [cohort, points] of cohorts) {
        series.push({ label: `${cohortName(cohort)} ${points[0].statistic}`, points: points.map((a) => ({ x: new Date(a.at), y: a.value })) });
        series.push({ label: `${cohortName(cohort)} threshold`, points: points.map((a) => ({ x: new Date(a.at), y: a.threshold })) });
      }
      draws.push(() => Charts.lines(canvas, series, { axis: list[0].statistic }));
    }
    $('drift-charts').replaceChildren(...blocks);
    for (const draw of draws) draw();

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
