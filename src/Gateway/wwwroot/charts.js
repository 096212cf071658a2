// Chart helpers over the vendored Chart.js (vendor/chartjs, refreshed by scripts/update-charts.sh; no network at run time).
// Each canvas keeps one chart; drawing again replaces its data, and clearing destroys it so no stale picture stays.
'use strict';

const Charts = (() => {
  const palette = ['#3657d6', '#d9480f', '#2b8a3e', '#ae3ec9', '#e8590c', '#0c8599', '#c2255c', '#5c940d', '#1864ab', '#862e9c'];
  const colorOf = (cohortId) => palette[Math.abs(cohortId) % palette.length];
  const charts = new Map();

  function draw(canvas, config) {
    const old = charts.get(canvas.id);
    if (old) old.destroy();
    // Animations would make screenshots and tests see half-drawn charts.
    config.options = { animation: false, responsive: true, maintainAspectRatio: false, ...(config.options || {}) };
    const chart = new Chart(canvas, config);
    charts.set(canvas.id, chart);
    canvas.dataset.drawn = 'true';
    return chart;
  }

  function clear(canvas) {
    const old = charts.get(canvas.id);
    if (old) old.destroy();
    charts.delete(canvas.id);
    canvas.dataset.drawn = 'false';
    canvas.dataset.points = '0';
  }

  // The cohort map: one scatter dataset per cohort (its sampled users) plus the projected centroids.
  function map(canvas, data) {
    const byCohort = new Map();
    for (const p of data.points) {
      if (!byCohort.has(p.cohortId)) byCohort.set(p.cohortId, []);
      byCohort.get(p.cohortId).push({ x: p.x, y: p.y, userId: p.userId });
    }
    const label = new Map(data.centroids.map((c) => [c.cohortId, c.label]));
    const datasets = [...byCohort.entries()].sort((a, b) => a[0] - b[0]).map(([id, points]) => ({
      label: `#${id} ${label.get(id) || ''}`.trim(),
      cohortId: id,
      data: points,
      backgroundColor: colorOf(id) + 'aa',
      pointRadius: 3,
    }));
    datasets.push({
      label: 'centroids',
      data: data.centroids.map((c) => ({ x: c.x, y: c.y, cohortId: c.cohortId, label: c.label })),
      backgroundColor: data.centroids.map((c) => colorOf(c.cohortId)),
      borderColor: '#000',
      borderWidth: 2,
      pointStyle: 'crossRot',
      pointRadius: 9,
    });
    const pct = (v) => `${(100 * v).toFixed(0)}%`;
    const chart = draw(canvas, {
      type: 'scatter',
      data: { datasets },
      options: {
        scales: {
          x: { title: { display: true, text: `PC1 (${pct(data.explainedVariance[0] || 0)} of variance)` } },
          y: { title: { display: true, text: `PC2 (${pct(data.explainedVariance[1] || 0)} of variance)` } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (ctx) => ctx.raw.userId
                ? `${ctx.raw.userId} · ${ctx.dataset.label}`
                : `centroid #${ctx.raw.cohortId} ${ctx.raw.label}`,
            },
          },
        },
      },
    });
    canvas.dataset.points = String(data.points.length);
    canvas.dataset.cohorts = [...byCohort.keys()].sort((a, b) => a - b).join(',');
    return chart;
  }

  // Horizontal bars: value per label (used for traits in σ against the population at 0, affinities, hours).
  function bars(canvas, labels, values, options = {}) {
    return draw(canvas, {
      type: 'bar',
      data: { labels, datasets: [{ label: options.label || '', data: values, backgroundColor: values.map((v) => (v < 0 ? '#e8590caa' : '#3657d6aa')) }] },
      options: {
        indexAxis: options.horizontal === false ? 'x' : 'y',
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: options.tooltip || ((ctx) => String(ctx.raw)) } } },
        scales: { x: { title: { display: !!options.axis, text: options.axis || '' } } },
      },
    });
  }

  // Lines over time: series = [{ label, points: [{ x: Date, y, low?, high? }] }]; intervals drawn as a shaded band.
  function lines(canvas, series, options = {}) {
    const datasets = [];
    series.forEach((s, i) => {
      const color = palette[i % palette.length];
      datasets.push({ label: s.label, data: s.points.map((p) => ({ x: p.x.getTime(), y: p.y })), borderColor: color, backgroundColor: color, pointRadius: 2 });
      if (s.points.some((p) => p.low !== undefined)) {
        datasets.push({ label: `${s.label} 95% low`, data: s.points.map((p) => ({ x: p.x.getTime(), y: p.low })), borderColor: 'transparent', pointRadius: 0, fill: false, interval: true });
        datasets.push({ label: `${s.label} 95% high`, data: s.points.map((p) => ({ x: p.x.getTime(), y: p.high })), borderColor: 'transparent', backgroundColor: color + '33', pointRadius: 0, fill: '-1', interval: true });
      }
    });
    // One point (or all at one time) would stretch the axis to meaningless dates: give it an hour either side.
    const xs = series.flatMap((s) => s.points.map((p) => p.x.getTime()));
    const flat = xs.length > 0 && Math.min(...xs) === Math.max(...xs);
    return draw(canvas, {
      type: 'line',
      data: { datasets },
      options: {
        parsing: true,
        scales: {
          x: { type: 'linear', min: flat ? xs[0] - 3600000 : undefined, max: flat ? xs[0] + 3600000 : undefined, ticks: { callback: (v) => new Date(v).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) } },
          y: { title: { display: !!options.axis, text: options.axis || '' }, beginAtZero: true },
        },
        plugins: { legend: { labels: { filter: (item, data) => !data.datasets[item.datasetIndex].interval } } },
      },
    });
  }

  // Forest plot: one row per (cohort, variant) comparison, the relative lift as a point and its 95% interval as a bar.
  function forest(canvas, rows, options = {}) {
    const labels = rows.map((r) => r.label);
    return draw(canvas, {
      type: 'bar',
      data: {
        labels,
        datasets: [
          // A comparison without an estimate yet (no clicks in an arm) draws nothing rather than a point at 0.
          { label: '95% interval', data: rows.map((r) => (r.value === null ? null : [r.low, r.high])), backgroundColor: rows.map((r) => r.color + '66'), barPercentage: 0.35 },
          { type: 'scatter', label: 'lift', data: rows.filter((r) => r.value !== null).map((r) => ({ x: r.value, y: r.label })), backgroundColor: rows.filter((r) => r.value !== null).map((r) => r.color), pointRadius: 5 },
        ],
      },
      options: {
        indexAxis: 'y',
        scales: { x: { title: { display: true, text: options.axis || 'relative lift vs baseline (0 = no difference)' } }, y: { type: 'category', labels } },
        plugins: { legend: { display: false } },
      },
    });
  }

  // Stacked bars per version: sampled users per cohort, so cohorts growing, shrinking, appearing and vanishing show.
  function flow(canvas, versions) {
    const ids = [...new Set(versions.flatMap((v) => v.cohorts.map((c) => c.id)))].sort((a, b) => a - b);
    const labelOf = new Map(versions.flatMap((v) => v.cohorts.map((c) => [c.id, c.label])));
    return draw(canvas, {
      type: 'bar',
      data: {
        labels: versions.map((v) => `v${v.version}`),
        datasets: ids.map((id) => ({
          label: `#${id} ${labelOf.get(id) || ''}`.trim(),
          data: versions.map((v) => v.cohorts.find((c) => c.id === id)?.users ?? 0),
          backgroundColor: colorOf(id) + 'cc',
        })),
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'sampled users' } } },
        plugins: { tooltip: { callbacks: { afterLabel: (ctx) => versions[ctx.dataIndex].inflow?.get(ids[ctx.datasetIndex]) || '' } } },
      },
    });
  }

  return { draw, clear, map, bars, lines, forest, flow, colorOf };
})();
