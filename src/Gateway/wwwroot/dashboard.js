// Analyst dashboard: reads the public API with an analyst or admin key kept in this tab's session storage.
// The key's role comes from /v1/me; actions (re-cluster, train, activate) are shown to admin keys only.
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
};
const TRAINING_POLL_MS = 1000;
const $ = (id) => document.getElementById(id);

const isAdmin = () => state.role === 'admin';

// Analyst keys read; the buttons that change the cluster are not shown to them (the API would answer 403).
function applyRole(name) {
  $('recluster').hidden = !isAdmin();
  $('train-now').hidden = !isAdmin();
  $('audit-panel').hidden = !isAdmin();
  $('key-role').textContent = state.role ? `${name} (${state.role}${isAdmin() ? '' : ', read-only'})` : '';
  $('key-role').dataset.role = state.role || '';
}

function setStatus(text, isError) {
  const s = $('status');
  s.textContent = text;
  s.className = isError ? 'error' : '';
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { 'X-Api-Key': state.key, ...(options.headers || {}) } });
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
  if (!response.ok) {
    const detail = body?.detail || body?.title || response.statusText;
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function topTraits(centroid, n) {
  return [...centroid].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, n);
}

function renderCohorts(data) {
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
      ? el('ol', { class: 'items' }, ...c.topItems.slice(0, 5).map((i) => el('li', {}, `${i.itemId} (${i.score.toFixed(1)})`)))
      : el('p', { class: 'size' }, 'No member activity since this version yet.');
    const bar = el('div', { class: 'bar' }, el('div', { style: `width:${share}%` }));
    return el('article', { class: 'card', 'data-cohort': c.id },
      el('h3', {}, `#${c.id} ${c.label}`),
      el('div', { class: 'size' }, `${share}% of sampled users · ${c.size.toLocaleString()} assigned`),
      el('div', { class: 'model' }, c.modelVersion
        ? `Model v${c.modelVersion} · ${c.usesAdaptedModel ? 'adapted cohort weights' : 'global model'}`
        : 'No trained model yet'),
      bar, el('strong', {}, 'Distinctive traits'), traits, el('strong', {}, 'Top items'), items);
  });
  $('cohorts').replaceChildren(...(cards.length ? cards : [el('p', {}, 'No segmentation yet: it runs once enough users are active.')]));
}

function renderTransitions(history) {
  const head = $('transitions').tHead;
  const body = $('transitions').tBodies[0];
  const latest = history[0];
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
  if (state.trainingRunning && !state.trainingTimer) {
    state.trainingTimer = setTimeout(pollTraining, TRAINING_POLL_MS);
  }
  return wasRunning && !state.trainingRunning;
}

async function pollTraining() {
  state.trainingTimer = null;
  try {
    if (renderTraining(await api('/v1/admin/training'))) await refresh();
  } catch (e) {
    setStatus(e.message, true);
    // Keep following the run: a transient error must not freeze the progress bar.
    if (state.trainingRunning) state.trainingTimer = setTimeout(pollTraining, TRAINING_POLL_MS);
  }
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
    await api(`/v1/models/${version}/activate${rejected ? '?force=true' : ''}`, { method: 'POST' });
    setStatus(`version ${version} activated`);
    await refresh();
  } catch (e) {
    setStatus(e.message, true);
    button.disabled = false;
  }
}

// Only admin keys may read the trail; analysts never request it.
async function refreshAudit() {
  if (!isAdmin()) return;
  const page = await api('/v1/admin/audit?limit=20');
  const body = $('audit').tBodies[0];
  if (page.entries.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 6 }, 'Nothing recorded yet.')));
    return;
  }
  body.replaceChildren(...page.entries.map((e) => el('tr', { class: 'audit-entry' },
    el('td', {}, new Date(e.at).toLocaleString()),
    el('td', {}, e.keyName),
    el('td', {}, e.role),
    el('td', { class: 'audit-action' }, e.action),
    el('td', {}, Object.entries(e.target).map(([k, v]) => `${k}=${v}`).join(', ')),
    el('td', { class: 'audit-status' }, String(e.status)))));
}

async function refresh() {
  if (!state.key) return;
  try {
    const [cohorts, history, training, models] = await Promise.all([
      api('/v1/cohorts'), api('/v1/admin/segmentation'), api('/v1/admin/training'), api('/v1/models')]);
    renderCohorts(cohorts);
    renderTransitions(history);
    renderTraining(training);
    renderModels(models);
    await refreshAudit();
    $('recluster').disabled = false;
    setStatus(`updated ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    setStatus(e.message, true);
  }
}

async function connect(key) {
  state.key = key;
  sessionStorage.setItem('cohortly-key', key);
  clearInterval(state.timer);
  clearTimeout(state.trainingTimer);
  state.trainingTimer = null;
  state.modelsRendered = '';
  state.role = null;
  let name = '';
  try {
    const me = await api('/v1/me');
    state.role = me.role;
    name = me.name;
  } catch (e) {
    setStatus(e.message, true);
  }
  applyRole(name);
  refresh();
  state.timer = setInterval(refresh, 5000);
}

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  connect($('api-key').value.trim());
});

$('recluster').addEventListener('click', async () => {
  $('recluster').disabled = true;
  try {
    const v = await api('/v1/admin/segmentation', { method: 'POST' });
    setStatus(`version ${v.version} from ${v.sampleSize} users`);
    await refresh();
  } catch (e) {
    setStatus(e.message, true);
  } finally {
    $('recluster').disabled = false;
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
    setStatus(e.message, true);
    $('train-now').disabled = false;
  }
});

function topContributions(contributions, n) {
  return [...(contributions || [])].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, n);
}

function signed(value) {
  return `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
}

function renderRecommendations(recs) {
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
    return el('li', { class: 'rec' },
      open, ' ', el('span', { class: 'score' }, i.score.toFixed(3)),
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
    target.replaceChildren(
      el('h3', {}, `Similar to ${similar.itemId} (model v${similar.modelVersion})`),
      el('ol', { class: 'similar-items' }, ...similar.items.map((i) =>
        el('li', {}, `${i.itemId} (${i.score.toFixed(3)}) — ${i.reason}`))));
  } catch (e) {
    target.replaceChildren(el('p', { class: 'error' }, `Similar to ${itemId}: ${e.message}`));
  }
}

$('user-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const id = encodeURIComponent($('user-id').value.trim());
  $('similar').replaceChildren();
  // A user with no events has no profile yet but still gets (cold-start) recommendations worth seeing.
  const [profile, recs] = await Promise.allSettled([api(`/v1/users/${id}`), api(`/v1/users/${id}/recommendations?count=5&explain=true`)]);
  if (profile.status === 'fulfilled') {
    const p = profile.value;
    const summary = { cohort: p.cohort, counts: p.counts, monetary: p.monetary, sessions: p.sessions, transitions: p.transitions };
    $('user').replaceChildren(el('pre', {}, JSON.stringify(summary, null, 2)));
  } else {
    $('user').replaceChildren(el('p', { class: 'error' }, profile.reason.message));
  }

  if (recs.status === 'fulfilled') {
    renderRecommendations(recs.value);
  } else {
    $('recommendations').replaceChildren(el('p', { class: 'error' }, recs.reason.message));
  }
});

if (state.key) {
  $('api-key').value = state.key;
  connect(state.key);
}
