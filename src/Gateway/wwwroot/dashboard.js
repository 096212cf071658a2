// Analyst dashboard: reads the public API with the admin key kept in this tab's session storage.
'use strict';

const state = { key: sessionStorage.getItem('cohortly-key') || '', timer: null };
const $ = (id) => document.getElementById(id);

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

async function refresh() {
  if (!state.key) return;
  try {
    const [cohorts, history] = await Promise.all([api('/v1/cohorts'), api('/v1/admin/segmentation')]);
    renderCohorts(cohorts);
    renderTransitions(history);
    $('recluster').disabled = false;
    setStatus(`updated ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    setStatus(e.message, true);
  }
}

function connect(key) {
  state.key = key;
  sessionStorage.setItem('cohortly-key', key);
  clearInterval(state.timer);
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

$('user-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const id = encodeURIComponent($('user-id').value.trim());
  try {
    const [profile, recs] = await Promise.all([api(`/v1/users/${id}`), api(`/v1/users/${id}/recommendations?count=5`)]);
    const summary = {
      cohort: profile.cohort, counts: profile.counts, monetary: profile.monetary, sessions: profile.sessions,
      transitions: profile.transitions, recommendations: recs.items.map((i) => `${i.itemId} — ${i.reason}`),
    };
    $('user').replaceChildren(el('pre', {}, JSON.stringify(summary, null, 2)));
  } catch (err) {
    $('user').replaceChildren(el('p', { class: 'error' }, err.message));
  }
});

if (state.key) {
  $('api-key').value = state.key;
  connect(state.key);
}
