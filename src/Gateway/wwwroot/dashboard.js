// Analyst dashboard: reads the public API with an analyst or admin key kept in this tab's session storage.
// The key's role comes from /v1/me; actions (re-cluster, train, activate, policy edits) are shown to admin keys only.
//
// States, so the page never shows what it does not know:
// - every panel starts as "Not loaded." and is cleared (back to "Not loaded.") when its own call fails, so no panel
//   keeps data from an earlier refresh next to a newer one;
// - a refused key (401/403 on /v1/me) clears every panel and stops the periodic refresh;
// - errors go to a list that keeps them until the analyst dismisses them; the periodic "updated …" never hides one;
// - long calls (re-clustering, training, a user lookup, the map) mark their panel busy while they run.
'use strict';

const state = {
  key: sessionStorage.getItem('cohortly-key') || '',
  timer: null,
  trainingTimer: null,
  trainingRunning: false,
  selectedVersion: null,
  modelsRendered: '',
  models: null,
  role: null,
  cohorts: null,
  mapVersion: null,
  mapAt: 0,
  titles: new Map(),
  generation: 0,
};
const TRAINING_POLL_MS = 1000;
const REFRESH_MS = 5000;
const MAP_REFRESH_MS = 30000;
const $ = (id) => document.getElementById(id);

const isAdmin = () => state.role === 'admin';

class ApiError extends Error {
  constructor(status, message, field, problem) {
    super(message);
    this.status = status;
    this.field = field;
    // The problem details as the server sent them (a validation problem's `errors` maps each field to its messages).
    this.problem = problem;
  }
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined || c === '') continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const placeholder = (text, colspan) => (colspan
  ? el('tr', {}, el('td', { colspan, class: 'placeholder' }, text))
  : el('p', { class: 'placeholder' }, text));

// Analyst keys read; the buttons that change the cluster are not shown to them (the API would answer 403).
function applyRole(name) {
  $('recluster').hidden = !isAdmin();
  $('train-now').hidden = !isAdmin();
  Views.applyRole(isAdmin());
  for (const link of document.querySelectorAll('.admin-only')) link.hidden = !isAdmin();
  $('key-role').textContent = state.role ? `${name} (${state.role}${isAdmin() ? '' : ', read-only'})` : '';
  $('key-role').dataset.role = state.role || '';
}

function setStatus(text) {
  $('status').textContent = text;
}

// An error stays listed (newest first) until dismissed; the same message repeated by the periodic refresh is counted,
// not listed again.
function reportError(context, error) {
  const message = `${context}: ${error.message || error}`;
  const list = $('errors');
  const existing = [...list.children].find((li) => li.dataset.message === message);
  if (existing) {
    const count = Number(existing.dataset.count) + 1;
    existing.dataset.count = String(count);
    existing.querySelector('.error-when').textContent = `${new Date().toLocaleTimeString()} (${count}×)`;
    return;
  }
  const dismiss = el('button', { type: 'button', class: 'dismiss', 'aria-label': `Dismiss: ${message}` }, 'Dismiss');
  const item = el('li', { class: 'error-entry', 'data-message': message, 'data-count': '1' },
    el('span', { class: 'error-when' }, new Date().toLocaleTimeString()), ' ',
    el('span', { class: 'error-text' }, message), ' ', dismiss);
  dismiss.addEventListener('click', () => item.remove());
  list.prepend(item);
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { 'X-Api-Key': state.key, ...(options.headers || {}) } });
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
  if (!response.ok) {
    const detail = body?.detail || body?.title || response.statusText;
    throw new ApiError(response.status, `${response.status}: ${detail}`, body?.field, body);
  }
  return body;
}

// Marks a panel busy while a long call runs (CSS shows "Loading…" and dims it; screen readers hear aria-busy).
async function busy(panel, work) {
  panel.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    panel.removeAttribute('aria-busy');
  }
}

function topTraits(centroid, n) {
  return [...centroid].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, n);
}

// Item titles for ids (GET /v1/items/{id}), cached for the session; an unknown item keeps its id.
async function itemInfo(ids) {
  const missing = [...new Set(ids)].filter((id) => !state.titles.has(id));
  await Promise.all(missing.map(async (id) => {
    try {
      state.titles.set(id, await api(`/v1/items/${encodeURIComponent(id)}`));
    } catch (e) {
      if (e.status === 404) state.titles.set(id, null);
    }
  }));
  return (id) => state.titles.get(id) || null;
}

function itemLabel(info, id) {
  if (!info) return id;
  const price = info.price === null || info.price === undefined ? '' : ` · ${info.price.toFixed(2)}`;
  return `${info.title || id} (${(info.categories || []).join(', ') || 'no category'}${price})`;
}

// ---- Panels: each has a render and a clear; refresh renders what loaded and clears what failed. ----

function clearCohorts(text = 'Not loaded.') {
  state.cohorts = null;
  for (const id of ['version', 'sample', 'cohort-count', 'created']) $(id).textContent = '–';
  $('cohorts').replaceChildren(placeholder(text));
  $('recluster').disabled = true;
}

function renderCohorts(data, info) {
  state.cohorts = data;
  $('version').textContent = data.segmentationVersion || 'none yet';
  $('sample').textContent = data.sampleSize.toLocaleString();
  $('cohort-count').textContent = data.cohorts.length;
  $('created').textContent = data.createdAt ? new Date(data.createdAt).toLocaleTimeString() : '–';
  // The clustering sample gives every cohort a share at once; assigned members grow as users act.
  const sampled = data.cohorts.reduce((sum, c) => sum + c.sampledUsers, 0) || 1;
  const cards = data.cohorts.map((c) => {
    const share = Math.round((100 * c.sampledUsers) / sampled);
    const traits = el('ul', { class: 'traits' }, ...topTraits(c.centroid, 3).map((t) =>
      el('li', { class: t.value < 0 ? 'neg' : 'pos' }, `${t.name.replaceAll('_', ' ')} ${t.value >= 0 ? '+' : ''}${t.value.toFixed(2)} σ`)));
    const items = c.topItems.length
      ? el('ol', { class: 'items' }, ...c.topItems.slice(0, 5).map((i) => el('li', { 'data-item': i.itemId }, `${itemLabel(info(i.itemId), i.itemId)} · ${i.score.toFixed(1)}`)))
      : el('p', { class: 'size' }, 'No member activity since this version yet.');
    const bar = el('div', { class: 'bar' }, el('div', { style: `width:${share}%;background:${Charts.colorOf(c.id)}` }));
    const open = el('a', { href: `#cohort/${c.id}`, class: 'open-cohort' }, 'Details →');
    return el('article', { class: 'card', 'data-cohort': c.id },
      el('h3', {}, `#${c.id} ${c.label}`),
      el('div', { class: 'size' }, `${share}% of sampled users · ${c.size.toLocaleString()} assigned`),
      el('div', { class: 'model' }, c.modelVersion
        ? `Model v${c.modelVersion} · ${c.usesAdaptedModel ? 'adapted cohort weights' : 'global model'}`
        : 'No trained model serves it yet'),
      bar, el('strong', {}, 'Distinctive traits'), traits, el('strong', {}, 'Top items'), items, open);
  });
  $('cohorts').replaceChildren(...(cards.length ? cards : [el('p', {}, 'No segmentation yet: it runs once enough users are active.')]));
}

function clearMap(text = 'Not loaded.') {
  state.mapVersion = null;
  $('map-note').textContent = text;
  Charts.clear($('map'));
}

async function refreshMap(segmentationVersion) {
  if (!segmentationVersion) {
    clearMap('No segmentation yet: the map appears with the first version.');
    return;
  }
  // The live sample changes slowly and the projection costs the segmentation grain a pass over it: redraw on a new
  // version, else at most every MAP_REFRESH_MS, and say when the picture was taken.
  if (state.mapVersion === segmentationVersion && Date.now() - state.mapAt < MAP_REFRESH_MS) return;
  const data = await busy($('map-panel'), () => api(`/v1/cohorts/map?version=${segmentationVersion}`));
  state.mapVersion = segmentationVersion;
  state.mapAt = Date.now();
  $('map-note').textContent = data.points.length
    ? `${data.points.length} sampled users of ${data.sampleSize} under segmentation v${data.segmentationVersion} (sample read at ${new Date().toLocaleTimeString()}), on the first two principal components of the standardized features; crosses are the cohort centroids. Hover a point for the user.`
    : 'No sampled users yet.';
  Charts.map($('map'), data);
}

function clearMoves(text = 'Not loaded.') {
  $('moves-note').textContent = text;
  Charts.clear($('moves-chart'));
  $('transitions').tHead.replaceChildren();
  $('transitions').tBodies[0].replaceChildren(placeholder(text, 1));
}

function renderMoves(history) {
  const latest = history[0];
  const versions = [...history].reverse().slice(-6).map((v) => {
    const inflow = new Map();
    for (const c of v.cohorts) {
      const from = v.transitions.filter((t) => t.to === c.id && t.users > 0).map((t) => `${t.from === t.to ? 'stayed' : `from #${t.from}`}: ${t.users}`);
      if (from.length) inflow.set(c.id, from.join(', '));
    }
    return { version: v.version, cohorts: v.cohorts.map((c) => ({ id: c.id, label: c.label, users: c.sampledUsers })), inflow };
  });
  if (versions.length) {
    $('moves-note').textContent = `Sampled users per cohort in the last ${versions.length} segmentation version(s); hover a bar for where its users were in the version before.`;
    Charts.flow($('moves-chart'), versions);
  } else {
    clearMoves('No segmentation version yet.');
  }
  const head = $('transitions').tHead;
  const body = $('transitions').tBodies[0];
  if (!latest || latest.transitions.length === 0) {
    head.replaceChildren();
    body.replaceChildren(el('tr', {}, el('td', {}, 'No earlier version to compare with.')));
    return;
  }
  const from = [...new Set(latest.transitions.map((t) => t.from))].sort((a, b) => a - b);
  const to = [...new Set(latest.transitions.map((t) => t.to))].sort((a, b) => a - b);
  const count = (f, t) => latest.transitions.find((x) => x.from === f && x.to === t)?.users || 0;
  head.replaceChildren(el('tr', {}, el('th', {}, 'from \\ to'), ...to.map((t) => el('th', {}, `#${t}`))));
  body.replaceChildren(...from.map((f) => el('tr', {}, el('th', {}, `#${f}`), ...to.map((t) => el('td', {}, count(f, t))))));
}

function seconds(value) {
  if (value === null || value === undefined) return '–';
  const s = Math.round(value);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

const ndcg = (value) => value.toFixed(3);

function gain(global, adapted) {
  const diff = adapted - global;
  const relative = global > 0 ? ` (${diff >= 0 ? '+' : ''}${((100 * diff) / global).toFixed(1)}%)` : '';
  return `${diff >= 0 ? '+' : ''}${diff.toFixed(3)}${relative}`;
}

function clearTraining() {
  state.trainingRunning = false;
  for (const id of ['training-state', 'training-stage', 'training-percent', 'training-elapsed', 'training-remaining', 'training-last']) $(id).textContent = '–';
  $('training-state').dataset.state = '';
  $('training-progress').value = 0;
  $('training-error').hidden = true;
  $('train-now').disabled = true;
}

// Returns true when this status ends a run the page saw running, so the caller reloads the model list.
function renderTraining(t) {
  const wasRunning = state.trainingRunning;
  state.trainingRunning = t.state === 'running';
  $('training-state').textContent = t.state;
  $('training-state').dataset.state = t.state;
  $('training-stage').textContent = t.stage || '–';
  const percent = Math.max(0, Math.min(100, t.percent || 0));
  $('training-progress').value = percent;
  $('training-percent').textContent = `${Math.round(percent)}%`;
  $('training-elapsed').textContent = t.runId ? seconds(t.elapsedSeconds) : '–';
  $('training-remaining').textContent = state.trainingRunning ? seconds(t.estimatedRemainingSeconds) : '–';
  $('training-last').textContent = t.lastVersion ? `v${t.lastVersion}` : 'none';
  const error = $('training-error');
  error.hidden = t.state !== 'failed';
  error.textContent = t.state === 'failed' ? `Last run failed: ${t.error || 'no reason given'}` : '';
  $('train-now').disabled = state.trainingRunning;
  $('train-now').textContent = state.trainingRunning ? 'Training…' : 'Train now';
  $('training-panel').toggleAttribute('data-running', state.trainingRunning);
  if (state.trainingRunning && !state.trainingTimer) {
    state.trainingTimer = setTimeout(pollTraining, TRAINING_POLL_MS);
  }
  return wasRunning && !state.trainingRunning;
}

async function pollTraining() {
  state.trainingTimer = null;
  const generation = state.generation;
  try {
    const status = await api('/v1/admin/training');
    if (generation !== state.generation) return;
    if (renderTraining(status)) await refresh();
  } catch (e) {
    if (generation !== state.generation) return;
    reportError('Training status', e);
    if (e.status === 401 || e.status === 403) {
      disconnect('The key was refused.');
      return;
    }
    // Keep following the run: a transient error must not freeze the progress bar.
    if (state.trainingRunning) state.trainingTimer = setTimeout(pollTraining, TRAINING_POLL_MS);
  }
}

function clearModels(text = 'Not loaded.') {
  state.models = null;
  state.modelsRendered = '';
  $('active-model').textContent = '–';
  $('models').tBodies[0].replaceChildren(placeholder(text, 9));
  $('model-cohorts').hidden = true;
}

function renderModels(data) {
  state.models = data;
  const versions = data.versions;
  if (!versions.some((v) => v.version === state.selectedVersion)) {
    state.selectedVersion = (versions.find((v) => v.active) || versions[0])?.version ?? null;
  }

  // Re-rendering unchanged rows every refresh would steal keyboard focus from their buttons.
  const rendered = JSON.stringify([data, state.selectedVersion, state.role]);
  if (rendered === state.modelsRendered) return;
  state.modelsRendered = rendered;

  $('active-model').textContent = data.activeVersion ? `v${data.activeVersion}` : 'none yet';
  const body = $('models').tBodies[0];
  if (versions.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 9 }, 'No model trained yet.')));
    $('model-cohorts').hidden = true;
    return;
  }

  body.replaceChildren(...versions.map((v) => {
    const selected = v.version === state.selectedVersion;
    const show = el('button', { type: 'button', class: 'link', 'aria-pressed': String(selected), 'aria-label': `Show cohorts of version ${v.version}` }, `v${v.version}`);
    show.addEventListener('click', () => selectVersion(v.version));
    let action = '';
    if (!v.active && isAdmin()) {
      action = el('button', { type: 'button', class: 'activate', 'aria-label': `Activate version ${v.version}` }, 'Activate');
      action.addEventListener('click', () => activate(v, action));
    }
    return el('tr', { 'data-version': v.version, class: [v.active ? 'active' : '', selected ? 'selected' : ''].join(' ').trim() },
      el('th', { scope: 'row' }, show),
      el('td', {}, new Date(v.trainedAt).toLocaleString()),
      el('td', {}, v.events.toLocaleString()),
      el('td', {}, v.users.toLocaleString()),
      el('td', {}, v.items.toLocaleString()),
      el('td', { class: 'ndcg-global' }, ndcg(v.holdoutNdcgGlobal)),
      el('td', { class: 'ndcg-cohort' }, ndcg(v.holdoutNdcgCohort)),
      el('td', { class: 'active-marker', title: v.why ?? '' }, v.active ? '● active' : (v.status ?? '')),
      el('td', {}, action));
  }));
  renderModelCohorts(versions.find((v) => v.version === state.selectedVersion));
}

function renderModelCohorts(version) {
  const table = $('model-cohorts');
  table.hidden = !version;
  if (!version) return;
  $('model-cohorts-caption').textContent = `Cohorts of version ${version.version}: global model vs the cohort's adapted weights on holdout`;
  const rows = version.cohorts.map((c) => el('tr', { 'data-cohort': c.cohortId },
    el('th', { scope: 'row' }, `#${c.cohortId} ${c.label}`),
    el('td', {}, c.users.toLocaleString()),
    el('td', {}, c.holdoutUsers.toLocaleString()),
    el('td', { class: 'adapted' }, c.adapted ? 'yes' : 'no'),
    el('td', {}, ndcg(c.globalNdcg)),
    el('td', {}, ndcg(c.adaptedNdcg)),
    el('td', { class: `gain ${c.adaptedNdcg >= c.globalNdcg ? 'up' : 'down'}` }, gain(c.globalNdcg, c.adaptedNdcg))));
  table.tBodies[0].replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 7 }, 'No cohort reports in this version.'))]));
}

function selectVersion(version) {
  state.selectedVersion = version;
  if (state.models) renderModels(state.models);
}

async function activate(model, button) {
  const version = model.version;
  // A version the promotion gate rejected is served only by an explicit override, and the confirm says so.
  const rejected = model.status === 'rejected';
  const question = rejected
    ? `Serve model version ${version}? The promotion gate rejected it (${model.why}); activating overrides the gate.`
    : `Serve model version ${version}? Silos switch to it within a poll interval.`;
  if (!window.confirm(question)) return;
  button.disabled = true;
  try {
    await busy($('models-panel'), () => api(`/v1/models/${version}/activate${rejected ? '?force=true' : ''}`, { method: 'POST' }));
    setStatus(`version ${version} activated`);
    await refresh();
  } catch (e) {
    reportError(`Activating version ${version}`, e);
    button.disabled = false;
  }
}

function clearExperiments(text = 'Not loaded.') {
  $('experiments').replaceChildren(placeholder(text));
}

const decisionText = {
  collectMoreData: 'collect more data',
  keepRunning: 'keep running',
  variantBetter: 'variant better',
  variantWorse: 'variant worse',
  allocationBroken: 'allocation broken (sample-ratio mismatch)',
};

// One block per experiment: status, SRM per cohort, and a forest plot of the primary metric's lift per cohort × variant.
async function renderExperiments(list) {
  const experiments = [...list.experiments].reverse().slice(0, 3);
  if (experiments.length === 0) {
    $('experiments').replaceChildren(el('p', {}, 'No experiment has been started.'));
    return;
  }
  const results = await Promise.allSettled(experiments.map((x) => api(`/v1/experiments/${encodeURIComponent(x.id)}/results`)));
  const blocks = experiments.map((x, i) => {
    const head = el('h3', {}, `${x.id} · ${x.status} · ${x.primaryMetric} · ${x.allocation}`);
    const result = results[i];
    if (result.status === 'rejected') {
      return el('article', { class: 'experiment', 'data-experiment': x.id }, head, el('p', { class: 'error' }, `Results: ${result.reason.message}`));
    }
    const report = result.value.report;
    if (!report) {
      return el('article', { class: 'experiment', 'data-experiment': x.id }, head,
        el('p', { class: 'note' }, 'A bandit: read its inverse-propensity estimates in GET /v1/experiments/{id}/results (no fixed-split forest plot).'));
    }
    const rows = [];
    const table = el('table', { class: 'experiment-table' },
      el('thead', {}, el('tr', {}, ...['Cohort', 'Variant', 'Units (base / variant)', 'Lift (95%)', 'Decision', 'SRM p'].map((h) => el('th', { scope: 'col' }, h)))));
    const tbody = el('tbody');
    for (const stratum of [...report.cohorts, report.pooled]) {
      const cohort = stratum.cohortId === null || stratum.cohortId === undefined ? 'pooled' : `#${stratum.cohortId}`;
      const srm = stratum.sampleRatio;
      const srmBroken = srm && srm.pValue < srm.threshold;
      for (const c of stratum.primary) {
        const lift = c.relativeLift;
        const estimated = lift !== null && lift !== undefined;
        rows.push({
          label: `${cohort} ${c.variant}${estimated ? '' : ' (no estimate yet)'}`,
          value: estimated ? lift : null,
          low: c.relativeLiftLower ?? lift,
          high: c.relativeLiftUpper ?? lift,
          color: c.decision === 'variantBetter' ? '#2b8a3e' : c.decision === 'variantWorse' || c.decision === 'allocationBroken' ? '#c92a2a' : '#495057',
        });
        const pct = (v) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)}%`);
        tbody.append(el('tr', { class: `decision-${c.decision}` },
          el('th', { scope: 'row' }, cohort), el('td', {}, c.variant),
          el('td', {}, `${c.baselineUnits} / ${c.variantUnits}`),
          el('td', {}, `${pct(lift)} [${pct(c.relativeLiftLower)}, ${pct(c.relativeLiftUpper)}]`),
          el('td', { class: 'decision' }, decisionText[c.decision] || c.decision),
          el('td', { class: srmBroken ? 'srm broken' : 'srm' }, srm ? `${srm.pValue.toFixed(3)}${srmBroken ? ' ✗ mismatch' : ' ✓'}` : '–')));
      }
    }
    table.append(tbody);
    const canvas = el('canvas', { id: `forest-${x.id}`, role: 'img', 'aria-label': `Relative lift per cohort and variant of ${x.id}` });
    const box = el('div', { class: 'chart-box small' }, canvas);
    const block = el('article', { class: 'experiment', 'data-experiment': x.id }, head, box, table);
    block.forestRows = rows;
    return block;
  });
  $('experiments').replaceChildren(...blocks);
  for (const b of blocks) if (b.forestRows?.length) Charts.forest(b.querySelector('canvas'), b.forestRows);
}

function clearAlerts(text = 'Not loaded.') {
  $('alerts').tBodies[0].replaceChildren(placeholder(text, 7));
  Charts.clear($('alerts-chart'));
  $('alerts-chart').parentElement.hidden = true;
}

function renderAlerts(data) {
  const body = $('alerts').tBodies[0];
  if (data.alerts.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 7 }, 'No alert raised.')));
    Charts.clear($('alerts-chart'));
    $('alerts-chart').parentElement.hidden = true;
    return;
  }
  $('alerts-chart').parentElement.hidden = false;
  body.replaceChildren(...data.alerts.slice(0, 50).map((a) => el('tr', { class: 'alert-row' },
    el('td', {}, new Date(a.at).toLocaleString()), el('td', {}, a.source), el('td', {}, a.cohortId ?? '–'),
    el('td', {}, a.statistic), el('td', {}, Number(a.value).toPrecision(3)), el('td', {}, Number(a.threshold).toPrecision(3)),
    el('td', { class: 'message' }, a.message))));
  // The statistic over time per (source, statistic): what the detector measured against its threshold.
  const series = new Map();
  for (const a of [...data.alerts].reverse()) {
    const key = `${a.source} ${a.statistic}`;
    if (!series.has(key)) series.set(key, []);
    series.get(key).push({ x: new Date(a.at), y: a.value });
  }
  Charts.lines($('alerts-chart'), [...series.entries()].map(([label, points]) => ({ label, points })), { axis: 'statistic' });
}

// The Orleans dashboard is opened by navigating, which sends no header: admin keys also go in a cookie scoped to
// /orleans (SameSite=Strict; the gateway reads it nowhere else). Any other key removes it.
function setOrleansCookie(key) {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = key
    ? `cohortly-orleans-key=${encodeURIComponent(key)}; path=/orleans; SameSite=Strict${secure}`
    : `cohortly-orleans-key=; path=/orleans; SameSite=Strict; Max-Age=0${secure}`;
}

function clearAll(text) {
  clearCohorts(text);
  clearMap(text);
  clearMoves(text);
  clearTraining();
  clearModels(text);
  clearExperiments(text);
  clearAlerts(text);
  Views.clearAll(text);
  Cohort.clear(text);
}

function disconnect(text) {
  state.generation++;
  clearInterval(state.timer);
  clearTimeout(state.trainingTimer);
  state.timer = null;
  state.trainingTimer = null;
  state.role = null;
  applyRole('');
  setOrleansCookie(null);
  clearAll(text);
  setStatus('not connected');
}

// Each panel loads on its own: a failed call clears that panel (no stale data) and is listed as an error; a refused
// key clears everything. A response that arrives after the key changed is dropped.
async function refresh() {
  if (!state.key || !state.role) return;
  const generation = state.generation;
  const panels = [
    ['Cohorts', async () => {
      const data = await api('/v1/cohorts');
      const info = await itemInfo(data.cohorts.flatMap((c) => c.topItems.slice(0, 5).map((i) => i.itemId)));
      return () => {
        renderCohorts(data, info);
        $('recluster').disabled = false;
        return refreshMap(data.segmentationVersion).catch((e) => { clearMap(); throw e; });
      };
    }, clearCohorts],
    ['Segmentation history', async () => { const h = await api('/v1/admin/segmentation'); return () => renderMoves(h); }, clearMoves],
    ['Training', async () => { const t = await api('/v1/admin/training'); return () => renderTraining(t); }, clearTraining],
    ['Models', async () => { const m = await api('/v1/models'); return () => renderModels(m); }, clearModels],
    ['Experiments', async () => { const x = await api('/v1/experiments'); return () => renderExperiments(x); }, clearExperiments],
    ['Alerts', async () => { const a = await api('/v1/alerts?limit=200'); return () => renderAlerts(a); }, clearAlerts],
  ];
  // The views in their own files (rules.js, quality.js, drift.js, audit.js, cluster.js) load and clear the same way.
  for (const view of Views.visible(isAdmin())) panels.push([view.name, view.load, view.clear]);
  const results = await Promise.allSettled(panels.map(([, load]) => load()));
  if (generation !== state.generation) return;
  const refused = results.find((r) => r.status === 'rejected' && (r.reason.status === 401 || r.reason.status === 403));
  if (refused) {
    reportError('Refresh', refused.reason);
    disconnect('The key was refused.');
    return;
  }
  let failed = 0;
  for (let i = 0; i < panels.length; i++) {
    const [name, , clear] = panels[i];
    const r = results[i];
    try {
      if (r.status === 'rejected') throw r.reason;
      await r.value();
    } catch (e) {
      failed++;
      clear(`Not loaded: ${e.message}`);
      reportError(name, e);
    }
  }
  await Cohort.refresh().catch((e) => { failed++; reportError('Cohort detail', e); });
  setStatus(failed ? `updated ${new Date().toLocaleTimeString()} (${failed} panel(s) failed)` : `updated ${new Date().toLocaleTimeString()}`);
}

async function connect(key) {
  state.generation++;
  const generation = state.generation;
  state.key = key;
  sessionStorage.setItem('cohortly-key', key);
  clearInterval(state.timer);
  clearTimeout(state.trainingTimer);
  state.timer = null;
  state.trainingTimer = null;
  state.role = null;
  clearAll('Loading…');
  setStatus('connecting…');
  let name = '';
  try {
    const me = await api('/v1/me');
    if (generation !== state.generation) return;
    state.role = me.role;
    name = me.name;
  } catch (e) {
    if (generation !== state.generation) return;
    reportError('Connect', e);
    disconnect(e.status === 401 || e.status === 403 ? 'The key was refused.' : `Not loaded: ${e.message}`);
    return;
  }
  applyRole(name);
  setOrleansCookie(isAdmin() ? key : null);
  await refresh();
  if (generation === state.generation) state.timer = setInterval(refresh, REFRESH_MS);
}

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  connect($('api-key').value.trim());
});

$('recluster').addEventListener('click', async () => {
  $('recluster').disabled = true;
  $('recluster').textContent = 'Re-clustering…';
  try {
    const v = await busy($('summary'), () => api('/v1/admin/segmentation', { method: 'POST' }));
    setStatus(`version ${v.version} from ${v.sampleSize} users`);
    await refresh();
  } catch (e) {
    reportError('Re-clustering', e);
  } finally {
    $('recluster').disabled = false;
    $('recluster').textContent = 'Re-cluster now';
  }
});

$('train-now').addEventListener('click', async () => {
  $('train-now').disabled = true;
  try {
    const status = await api('/v1/admin/training', { method: 'POST' });
    setStatus(`training run ${status.runId} started`);
    // A run already finished by the time it answered still needs the new version listed.
    if (!renderTraining(status) && status.state !== 'running') await refresh();
  } catch (e) {
    reportError('Training', e);
    $('train-now').disabled = false;
  }
});

function topContributions(contributions, n) {
  return [...(contributions || [])].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, n);
}

function signed(value) {
  return `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
}

function renderRecommendations(recs, info) {
  const cohort = recs.cohortId === null || recs.cohortId === undefined
    ? 'no cohort yet'
    : `cohort #${recs.cohortId} ${recs.cohortLabel || ''}${recs.provisionalCohort ? ' (provisional)' : ''}`.trim();
  const meta = el('p', { class: 'recs-meta' },
    el('span', { class: 'recs-cohort' }, cohort), ' · ',
    el('span', { class: 'recs-model' }, recs.modelVersion ? `model v${recs.modelVersion}` : 'no trained model'), ' · ',
    el('span', { class: 'recs-strategy' }, `strategy ${recs.strategy}`));
  if (recs.fallback) {
    meta.append(' ', el('span', { class: 'fallback', role: 'note' }, `fallback: ${recs.fallbackReason || 'served by the global model'}`));
  }

  const items = recs.items.map((i) => {
    const open = el('button', { type: 'button', class: 'link item', 'data-item': i.itemId, 'aria-label': `Show items similar to ${i.itemId}` }, i.itemId);
    open.addEventListener('click', () => showSimilar(i.itemId));
    const contributions = topContributions(i.contributions, 3);
    const about = info(i.itemId);
    return el('li', { class: 'rec' },
      open, ' ', el('span', { class: 'item-title' }, about ? itemLabel(about, i.itemId) : ''), ' ', el('span', { class: 'score' }, i.score.toFixed(3)),
      i.explored ? el('span', { class: 'badge' }, 'explored') : '',
      el('div', { class: 'reason' }, i.reason),
      contributions.length
        ? el('ul', { class: 'contributions', 'aria-label': `Top contributions for ${i.itemId}` },
          ...contributions.map((c) => el('li', { class: c.value < 0 ? 'neg' : 'pos' }, `${c.feature} ${signed(c.value)}`)))
        : '');
  });
  $('recommendations').replaceChildren(
    el('h3', {}, 'Recommendations'), meta,
    items.length ? el('ol', { class: 'recs' }, ...items) : el('p', {}, 'No recommendations.'));
}

async function showSimilar(itemId) {
  const target = $('similar');
  target.replaceChildren(el('p', { class: 'size' }, `Loading items similar to ${itemId}…`));
  try {
    const similar = await api(`/v1/items/${encodeURIComponent(itemId)}/similar?count=5`);
    const info = await itemInfo(similar.items.map((i) => i.itemId));
    target.replaceChildren(
      el('h3', {}, `Similar to ${similar.itemId} (model v${similar.modelVersion})`),
      el('ol', { class: 'similar-items' }, ...similar.items.map((i) =>
        el('li', {}, `${i.itemId} (${i.score.toFixed(3)}) — ${i.reason}${info(i.itemId) ? ` · ${itemLabel(info(i.itemId), i.itemId)}` : ''}`))));
  } catch (e) {
    target.replaceChildren(el('p', { class: 'error' }, `Similar to ${itemId}: ${e.message}`));
  }
}

$('user-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const id = encodeURIComponent($('user-id').value.trim());
  $('similar').replaceChildren();
  $('user').replaceChildren(placeholder('Loading…'));
  $('recommendations').replaceChildren();
  // A user with no events has no profile yet but still gets (cold-start) recommendations worth seeing.
  const [profile, recs] = await busy($('user-panel'), () =>
    Promise.allSettled([api(`/v1/users/${id}`), api(`/v1/users/${id}/recommendations?count=5&explain=true`)]));
  if (profile.status === 'fulfilled') {
    UserCard.render($('user'), profile.value);
  } else {
    $('user').replaceChildren(el('p', { class: 'error' }, profile.reason.message));
  }

  if (recs.status === 'fulfilled') {
    const info = await itemInfo(recs.value.items.map((i) => i.itemId));
    renderRecommendations(recs.value, info);
  } else {
    $('recommendations').replaceChildren(el('p', { class: 'error' }, recs.reason.message));
  }
});

window.addEventListener('hashchange', () => Cohort.route());
Cohort.route();

if (state.key) {
  $('api-key').value = state.key;
  connect(state.key);
} else {
  clearAll('Not loaded: connect with an analyst or admin key.');
}
