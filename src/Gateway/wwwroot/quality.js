// Segmentation quality per kept version (GET /v1/admin/segmentation): algorithm, how k was set, silhouette,
// Davies–Bouldin, inertia, cluster sizes and DBSCAN's noise share; and the versions withheld below the quality floor,
// which are never kept, so they come from their alerts (GET /v1/alerts?source=segmentation-quality).
'use strict';

const Quality = (() => {
  const num = (v, digits = 3) => (v === null || v === undefined ? '–' : v.toFixed(digits));

  function clear(text = 'Not loaded.') {
    $('quality').tBodies[0].replaceChildren(placeholder(text, 10));
    $('quality-withheld').tBodies[0].replaceChildren(placeholder(text, 5));
    $('quality-note').textContent = text;
    Charts.clear($('quality-chart'));
  }

  async function load() {
    const [history, withheld] = await Promise.all([
      api('/v1/admin/segmentation'),
      api('/v1/alerts?source=segmentation-quality&limit=50'),
    ]);
    return () => render(history, withheld.alerts);
  }

  function howK(v, q) {
    if (!q.algorithm) return `${v.cohorts.length} (restored, not fitted)`;
    if (q.kScores.length) {
      const ks = q.kScores.map((s) => s.k);
      return `${v.cohorts.length}, chosen by silhouette among k = ${Math.min(...ks)}…${Math.max(...ks)}`;
    }
    return q.algorithm === 'dbscan' ? `${v.cohorts.length}, found by density` : `${v.cohorts.length}, fixed`;
  }

  // Cluster sizes as one stacked bar in the cohorts' colours: a cohort holding most users shows at a glance.
  function sizesBar(v, q) {
    const total = q.clusterSizes.reduce((a, b) => a + b, 0) || 1;
    const bar = el('div', { class: 'size-bar', role: 'img', 'aria-label': `Users per cohort: ${q.clusterSizes.join(', ')}` },
      ...q.clusterSizes.map((n, i) => {
        const id = v.cohorts[i]?.id ?? i + 1;
        return el('span', { style: `width:${(100 * n) / total}%;background:${Charts.colorOf(id)}`, title: `#${id}: ${n}` });
      }));
    return el('td', { class: 'quality-sizes' }, bar, el('span', { class: 'unit-note' }, q.clusterSizes.join(' / ')));
  }

  function render(history, withheld) {
    const current = history[0]?.version;
    $('quality-note').textContent = history.length
      ? 'Silhouette: −1…1, higher means users sit closer to their own cohort than to the next (measured on a seeded sample). Davies–Bouldin: ≥ 0, lower means tighter, better separated cohorts. Inertia: squared distance of users to their cohort centre, in standardized units (compare versions of the same k only).'
      : 'No segmentation version yet.';
    const body = $('quality').tBodies[0];
    body.replaceChildren(...(history.length ? history.map((v) => {
      const q = v.quality;
      const head = [
        el('th', { scope: 'row' }, `v${v.version}${v.version === current ? ' (serving)' : ''}`),
        el('td', {}, new Date(v.createdAt).toLocaleString()),
        el('td', {}, v.producer),
      ];
      if (!q) return el('tr', { class: 'quality-row', 'data-version': v.version }, ...head, el('td', { colspan: 7, class: 'placeholder' }, 'Quality not recorded (a version stored before quality was measured).'));
      return el('tr', { class: 'quality-row', 'data-version': v.version }, ...head,
        el('td', { class: 'quality-algorithm' }, el('span', { class: 'algorithm-name' }, q.algorithm ?? 'restored'),
          (q.parameters || []).length
            ? el('span', { class: 'unit-note quality-parameters' }, ` ${q.parameters.map((p) => `${p.name} ${p.value}`).join(', ')}`)
            : ''),
        el('td', { class: 'quality-k' }, howK(v, q)),
        el('td', { class: 'quality-silhouette' }, q.silhouette === null ? '– (fewer than 2 cohorts)' : `${num(q.silhouette)} (n = ${q.silhouetteSample})`),
        el('td', { class: 'quality-db' }, num(q.daviesBouldin)),
        el('td', {}, num(q.inertia, 1)),
        sizesBar(v, q),
        el('td', { class: 'quality-noise' }, q.noiseShare === null || q.noiseShare === undefined ? 'n/a' : `${(100 * q.noiseShare).toFixed(1)}%`));
    }) : [el('tr', {}, el('td', { colspan: 10 }, 'No segmentation version yet.'))]));

    const wbody = $('quality-withheld').tBodies[0];
    wbody.replaceChildren(...(withheld.length ? withheld.map((a) => el('tr', { class: 'withheld-row' },
      el('td', {}, new Date(a.at).toLocaleString()), el('td', {}, a.statistic),
      el('td', {}, num(a.value)), el('td', {}, num(a.threshold)), el('td', { class: 'message' }, a.message)))
      : [el('tr', {}, el('td', { colspan: 5 }, 'No version has been withheld (of the alerts still kept).'))]));

    // Oldest first: each published version's silhouette and Davies–Bouldin, and each withheld fit's statistic.
    const published = [...history].reverse().filter((v) => v.quality);
    const series = [
      { label: 'silhouette (published)', points: published.filter((v) => v.quality.silhouette !== null).map((v) => ({ x: new Date(v.createdAt), y: v.quality.silhouette })) },
      { label: 'Davies–Bouldin (published)', points: published.filter((v) => v.quality.daviesBouldin !== null).map((v) => ({ x: new Date(v.createdAt), y: v.quality.daviesBouldin })) },
    ];
    const kept = [...withheld].reverse();
    for (const statistic of new Set(kept.map((a) => a.statistic))) {
      series.push({ label: `withheld: ${statistic}`, points: kept.filter((a) => a.statistic === statistic).map((a) => ({ x: new Date(a.at), y: a.value })) });
      series.push({ label: `floor: ${statistic}`, points: kept.filter((a) => a.statistic === statistic).map((a) => ({ x: new Date(a.at), y: a.threshold })) });
    }
    if (series.some((s) => s.points.length)) {
      Charts.lines($('quality-chart'), series.filter((s) => s.points.length), { axis: 'score' });
    } else {
      Charts.clear($('quality-chart'));
    }
  }

  Views.register({ name: 'Segmentation quality', panel: 'quality-panel', adminOnly: false, load, clear });
  return { clear };
})();
