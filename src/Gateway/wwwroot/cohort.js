// The cohort detail page (#cohort/{id}): traits against the population, size over versions, outcomes over time with
// intervals, the serving model and its holdout metrics, the serving policy (editable by admin keys), top items with
// titles, a sample of members and, per member, why they are in the cohort (distances to every centroid).
'use strict';

const Cohort = (() => {
  let current = null;

  const selected = () => {
    const match = /^#cohort\/(\d+)$/.exec(location.hash);
    return match ? Number(match[1]) : null;
  };

  function clear(text = 'Not loaded.') {
    current = null;
    for (const canvas of document.querySelectorAll('#cohort-body canvas')) Charts.clear(canvas);
    $('cohort-body').replaceChildren(placeholder(text));
    $('cohort-heading').textContent = 'Cohort';
  }

  // Shows the detail page for #cohort/{id} and the overview otherwise.
  function route() {
    const id = selected();
    $('cohort-detail').hidden = id === null;
    $('overview').hidden = id !== null;
    // The detail page stands alone: the other panels come back with the overview.
    document.body.classList.toggle('detail-mode', id !== null);
    if (id === null) {
      clear();
      return;
    }
    if (state.role) refresh().catch((e) => reportError('Cohort detail', e));
  }

  const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));

  async function refresh() {
    const id = selected();
    if (id === null || !state.role) return;
    const generation = state.generation;
    const to = new Date();
    const from = new Date(to.getTime() - 24 * 3600 * 1000);
    const [cohort, traits, history, models, policy, outcomes, map] = await busy($('cohort-detail'), () => Promise.all([
      api(`/v1/cohorts/${id}`),
      api(`/v1/cohorts/${id}/traits`),
      api('/v1/admin/segmentation'),
      api('/v1/models'),
      api(`/v1/cohorts/${id}/policy`),
      api(`/v1/cohorts/${id}/outcomes?granularity=hour&groupBy=cohort&from=${from.toISOString()}&to=${to.toISOString()}`),
      api(`/v1/cohorts/map?points=${5000}`).catch((e) => (e.status === 404 ? null : Promise.reject(e))),
    ]).catch((e) => {
      clear(`Not loaded: ${e.message}`);
      throw e;
    }));
    if (generation !== state.generation || id !== selected()) return;
    const info = await itemInfo(cohort.topItems.slice(0, 10).map((i) => i.itemId));
    const key = JSON.stringify([cohort, traits, history, models, policy, outcomes, map?.segmentationVersion, map?.sampleSize, state.role]);
    if (current === key) return;
    current = key;
    render(id, { cohort, traits, history, models, policy, outcomes, map, info });
  }

  function render(id, d) {
    $('cohort-heading').textContent = `#${id} ${d.cohort.label}`;
    for (const canvas of document.querySelectorAll('#cohort-body canvas')) Charts.clear(canvas);
    const body = $('cohort-body');

    // Traits: σ bars (population = 0) with the natural values beside them.
    const traitsCanvas = el('canvas', { id: 'cohort-traits-chart', role: 'img', 'aria-label': 'Each trait of the cohort in standard deviations from the population mean' });
    const traitRows = d.traits.traits.map((t) => el('tr', { class: 'trait', 'data-trait': t.name },
      el('th', { scope: 'row' }, t.name.replaceAll('_', ' ')),
      el('td', { class: t.standardized < 0 ? 'neg' : 'pos' }, `${t.standardized >= 0 ? '+' : ''}${t.standardized.toFixed(2)} σ`),
      el('td', { class: 'raw' }, `${fmt(t.value)} ${t.unit}`),
      el('td', {}, `${fmt(t.population)} ${t.unit}`),
      el('td', { class: 'unit-note' }, t.explanation)));
    const traits = el('div', { class: 'detail-block' },
      el('h3', {}, 'Traits against the population'),
      el('p', { class: 'note' }, `Bars: the cohort's centroid in standard deviations (σ) from the population mean of segmentation v${d.traits.segmentationVersion}'s sample (0 = the population). Beside each: the same point in natural units and the population's typical value (counts, amounts and durations are averaged on a log scale, so these are typical, not arithmetic-mean, values).`),
      el('div', { class: 'chart-box tall' }, traitsCanvas),
      el('table', { id: 'cohort-traits' }, el('thead', {}, el('tr', {}, ...['Trait', 'σ', 'Cohort', 'Population', 'Meaning'].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...traitRows)));

    // Size over versions: the cohort's users in each kept version's clustering sample.
    const sizes = [...d.history].reverse().map((v) => ({ v, c: v.cohorts.find((c) => c.id === id) })).filter((x) => x.c);
    const sizeCanvas = el('canvas', { id: 'cohort-size-chart', role: 'img', 'aria-label': 'Sampled users of this cohort in each segmentation version' });
    const size = el('div', { class: 'detail-block' }, el('h3', {}, 'Size over time'),
      el('p', { class: 'note' }, `${d.cohort.size.toLocaleString()} users assigned now; the chart shows the cohort's users in each kept segmentation version's clustering sample.`),
      el('div', { class: 'chart-box small' }, sizeCanvas));

    // Outcomes: clicked-exposure rate and conversion per hour with their Wilson 95% intervals.
    const group = d.outcomes.groups.find((g) => g.key === String(id)) || d.outcomes.groups[0];
    const outcomesCanvas = el('canvas', { id: 'cohort-outcomes-chart', role: 'img', 'aria-label': 'Click and conversion rates per hour with 95% intervals' });
    const outcomes = el('div', { class: 'detail-block' }, el('h3', {}, 'Outcomes, last 24 hours'));
    if (group && group.points.length) {
      const t = group.total;
      const rate = (e) => (e ? `${(100 * e.value).toFixed(1)}% [${(100 * e.low).toFixed(1)}, ${(100 * e.high).toFixed(1)}]` : '–');
      outcomes.append(
        el('p', { class: 'note', id: 'cohort-outcomes-total' }, `${t.exposures.toLocaleString()} responses, ${t.impressions.toLocaleString()} impressions, ${t.clicks} clicks, ${t.purchases} purchases · clicked responses ${rate(t.clickedExposureRate)} · converted ${rate(t.conversionRate)} (95% Wilson intervals)`),
        el('div', { class: 'chart-box small' }, outcomesCanvas));
    } else {
      outcomes.append(el('p', { class: 'placeholder', id: 'cohort-outcomes-total' }, 'No recommendation responses served to this cohort in the last 24 hours.'));
    }

    // Model: the serving version and this cohort's holdout numbers in it.
    const active = d.models.versions.find((v) => v.version === d.cohort.modelVersion);
    const report = active?.cohorts.find((c) => c.cohortId === id);
    const model = el('div', { class: 'detail-block', id: 'cohort-model' }, el('h3', {}, 'Model'),
      d.cohort.modelVersion
        ? el('p', {}, `Served by model v${d.cohort.modelVersion} with ${d.cohort.usesAdaptedModel ? 'its own adapted weights' : 'the global weights'}.`,
          report ? ` Holdout NDCG@10: global ${ndcg(report.globalNdcg)}, adapted ${ndcg(report.adaptedNdcg)} (${gain(report.globalNdcg, report.adaptedNdcg)}) over ${report.holdoutUsers} holdout users.` : ' This version has no holdout report for the cohort (born after its training).')
        : el('p', { class: 'placeholder' }, 'No trained model serves this cohort yet.'));

    const policy = renderPolicy(id, d.policy);

    // Top items with titles, categories and prices.
    const items = el('div', { class: 'detail-block' }, el('h3', {}, 'Top items'),
      d.cohort.topItems.length
        ? el('table', { id: 'cohort-items' },
          el('thead', {}, el('tr', {}, ...['Item', 'Title', 'Categories', 'Price', 'Score'].map((h) => el('th', { scope: 'col' }, h)))),
          el('tbody', {}, ...d.cohort.topItems.slice(0, 10).map((i) => {
            const about = d.info(i.itemId);
            return el('tr', { 'data-item': i.itemId }, el('th', { scope: 'row' }, i.itemId), el('td', { class: 'title' }, about?.title || '(not in the catalog)'),
              el('td', {}, (about?.categories || []).join(', ') || '–'), el('td', {}, about?.price === null || about?.price === undefined ? '–' : about.price.toFixed(2)),
              el('td', {}, i.score.toFixed(1)));
          })))
        : el('p', { class: 'placeholder' }, 'No member activity since this version yet.'));

    // Members from the map's sample, and "why is this user here" on demand.
    const members = (d.map?.points || []).filter((p) => p.cohortId === id).slice(0, 12);
    const why = el('div', { id: 'cohort-why', 'aria-live': 'polite' });
    const list = el('ul', { class: 'members' }, ...members.map((m) => {
      const button = el('button', { type: 'button', class: 'link member', 'data-user': m.userId }, m.userId);
      button.addEventListener('click', () => explain(m.userId, why));
      return el('li', {}, button);
    }));
    const sample = el('div', { class: 'detail-block' }, el('h3', {}, 'Sample of members'),
      members.length ? el('p', { class: 'note' }, 'Users of this cohort in the current sample; choose one to see its distance to every centroid.') : el('p', { class: 'placeholder' }, 'No sampled member.'),
      list, why);

    body.replaceChildren(el('div', { class: 'detail-grid' }, traits, el('div', {}, size, outcomes, model, policy)), items, sample);

    Charts.bars(traitsCanvas, d.traits.traits.map((t) => t.name.replaceAll('_', ' ')), d.traits.traits.map((t) => t.standardized), {
      axis: 'σ from the population mean (0 = population)',
      tooltip: (ctx) => {
        const t = d.traits.traits[ctx.dataIndex];
        return `${t.standardized.toFixed(2)} σ · ${fmt(t.value)} ${t.unit} (population ${fmt(t.population)}) — ${t.explanation}`;
      },
    });
    if (sizes.length) {
      Charts.lines(sizeCanvas, [{ label: 'sampled users', points: sizes.map((x) => ({ x: new Date(x.v.createdAt), y: x.c.sampledUsers })) }], { axis: 'users in the sample' });
    }
    if (group && group.points.length) {
      const series = (name, pick) => ({
        label: name,
        points: group.points.filter((p) => pick(p.metrics)).map((p) => ({ x: new Date(p.start), y: pick(p.metrics).value, low: pick(p.metrics).low, high: pick(p.metrics).high })),
      });
      Charts.lines(outcomesCanvas, [series('clicked responses', (m) => m.clickedExposureRate), series('converted responses', (m) => m.conversionRate)], { axis: 'rate per response' });
    }
  }

  function describePolicy(p) {
    if (!p) return 'the active model\'s default';
    const e = p.exploration || {};
    const params = Object.entries(e).filter(([k]) => k !== 'kind').map(([k, v]) => `${k} ${v}`).join(', ');
    return `${e.kind || 'none'}${params ? ` (${params})` : ''}, diversity λ ${p.diversityLambda}, exploration slots ${p.explorationSlots}`;
  }

  function renderPolicy(id, p) {
    const block = el('div', { class: 'detail-block', id: 'cohort-policy' }, el('h3', {}, 'Exploration and diversity policy'),
      el('p', { class: 'policy-effective' }, `In effect (${p.source}): ${describePolicy(p.effective)}`),
      p.trained ? el('p', { class: 'note' }, `Trained with model v${p.trainedModelVersion}: ${describePolicy(p.trained)}`) : '');
    if (!isAdmin()) return block;
    const text = el('textarea', { id: 'policy-json', rows: '5', 'aria-label': 'Policy override as JSON' });
    text.value = JSON.stringify(p.effective || p.trained || { exploration: { kind: 'epsilon-greedy', epsilon: 0.1 }, diversityLambda: 0.9, explorationSlots: 1 }, null, 2);
    const save = el('button', { type: 'button', id: 'policy-save' }, 'Override');
    const reset = el('button', { type: 'button', id: 'policy-reset' }, 'Return to trained');
    const result = el('p', { class: 'policy-result', 'aria-live': 'polite' });
    save.addEventListener('click', async () => {
      let body;
      try {
        body = JSON.parse(text.value);
      } catch (e) {
        result.textContent = `Not JSON: ${e.message}`;
        return;
      }
      try {
        await api(`/v1/cohorts/${id}/policy`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        result.textContent = 'Override saved; silos serve it within a cache poll.';
        current = null;
        await refresh();
      } catch (e) {
        result.textContent = e.message;
      }
    });
    reset.addEventListener('click', async () => {
      try {
        await api(`/v1/cohorts/${id}/policy`, { method: 'DELETE' });
        current = null;
        await refresh();
      } catch (e) {
        result.textContent = e.message;
      }
    });
    block.append(el('details', { class: 'admin-action' }, el('summary', {}, 'Edit (admin)'), text, el('div', { class: 'actions' }, save, reset), result));
    return block;
  }

  async function explain(userId, target) {
    target.replaceChildren(placeholder(`Loading ${userId}…`));
    try {
      const fit = await api(`/v1/users/${encodeURIComponent(userId)}/cohort-fit`);
      const nearest = fit.distances[0];
      target.replaceChildren(
        el('h4', {}, `Why ${userId} is in #${fit.nearestCohortId}`),
        el('p', { class: 'note' }, 'Users belong to the cohort whose centroid is nearest in standardized units (Euclidean over all features).'),
        el('table', { class: 'fit' }, el('thead', {}, el('tr', {}, el('th', {}, 'Cohort'), el('th', {}, 'Distance'))),
          el('tbody', {}, ...fit.distances.map((x) => el('tr', { class: x === nearest ? 'nearest' : '' }, el('th', { scope: 'row' }, `#${x.cohortId} ${x.label}`), el('td', { class: 'distance' }, x.distance.toFixed(2)))))),
        el('p', { class: 'note' }, 'Furthest from the centroid: ', fit.features.slice(0, 3).map((f) => `${f.name.replaceAll('_', ' ')} ${f.user.toFixed(2)} σ vs ${f.centroid.toFixed(2)} σ`).join('; ')));
    } catch (e) {
      target.replaceChildren(el('p', { class: 'error' }, `${userId}: ${e.message}`));
    }
  }

  return { route, refresh, clear, explain };
})();
