// The audit trail for admin keys (GET /v1/admin/audit): filters by key name, action prefix and time range, pages
// with the server's cursor. Filters take effect only once the server accepted them; a rejected one keeps the previous
// filters and shows the server's message next to the input it names. Analyst keys never request it.
'use strict';

const Audit = (() => {
  let applied = { limit: '20' }; // the filters the table shows
  let cursors = []; // cursors of the pages before the current one; the current page's cursor is last
  let next = null;

  const FIELDS = ['keyName', 'action', 'since', 'until', 'limit'];

  function query(filters, cursor) {
    const q = new URLSearchParams();
    for (const f of FIELDS) if (filters[f]) q.set(f, filters[f]);
    if (cursor) q.set('cursor', cursor);
    return `/v1/admin/audit?${q}`;
  }

  function describe(filters) {
    const parts = [];
    if (filters.keyName) parts.push(`key ${filters.keyName}`);
    if (filters.action) parts.push(`action starting "${filters.action}"`);
    if (filters.since) parts.push(`since ${new Date(filters.since).toLocaleString()}`);
    if (filters.until) parts.push(`before ${new Date(filters.until).toLocaleString()}`);
    return parts.length ? parts.join(', ') : 'all entries';
  }

  function clear(text = 'Not loaded.') {
    next = null;
    $('audit').tBodies[0].replaceChildren(placeholder(text, 6));
    $('audit-page').textContent = '';
    $('audit-older').disabled = true;
    $('audit-newer').disabled = true;
  }

  // A filter or page chosen while this read was on its way wins: its answer is not replaced by an older query's.
  async function load() {
    const filters = applied;
    const pages = cursors;
    const page = await api(query(filters, pages.at(-1)));
    return () => {
      if (filters === applied && pages === cursors) render(page);
    };
  }

  function render(page) {
    next = page.next ?? null;
    $('audit-page').textContent = `Page ${cursors.length + 1} · ${describe(applied)} · newest first`;
    $('audit-older').disabled = !next;
    $('audit-newer').disabled = cursors.length === 0;
    const body = $('audit').tBodies[0];
    if (page.entries.length === 0) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: 6 }, cursors.length || describe(applied) !== 'all entries' ? 'No entry matches.' : 'Nothing recorded yet.')));
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

  function clearFieldErrors() {
    for (const span of document.querySelectorAll('#audit-filters .field-error')) span.textContent = '';
    for (const input of document.querySelectorAll('#audit-filters [aria-invalid]')) input.removeAttribute('aria-invalid');
  }

  // Reads a page with these filters and cursors; only a page the server answered replaces what is shown.
  async function show(filters, pageCursors) {
    clearFieldErrors();
    const generation = state.generation;
    try {
      const page = await busy($('audit-panel'), () => api(query(filters, pageCursors.at(-1))));
      if (generation !== state.generation) return;
      applied = filters;
      cursors = pageCursors;
      render(page);
    } catch (e) {
      if (generation !== state.generation) return;
      const errors = e.problem?.errors;
      if (e.status === 400 && errors) {
        for (const [field, messages] of Object.entries(errors)) {
          const slot = document.querySelector(`#audit-filters .field-error[data-for="${CSS.escape(field)}"]`) || $('audit-filters-error');
          slot.textContent = `${field}: ${messages.join(' ')}`;
          document.querySelector(`#audit-filters [name="${CSS.escape(field)}"]`)?.setAttribute('aria-invalid', 'true');
        }
        return;
      }
      reportError('Audit trail', e);
      if (e.status === 401 || e.status === 403) {
        disconnect('The key was refused.');
        return;
      }
      clear(`Not loaded: ${e.message}`);
    }
  }

  function formFilters() {
    const form = $('audit-filters');
    const filters = {};
    for (const f of FIELDS) {
      const input = form.elements[f];
      const raw = input.value.trim();
      if (!raw) continue;
      // datetime-local has no zone: it is this browser's local time, sent as UTC ISO 8601.
      filters[f] = input.type === 'datetime-local' && !Number.isNaN(new Date(raw).getTime()) ? new Date(raw).toISOString() : raw;
    }
    return filters;
  }

  // dashboard.js (which defines $) loads after the views: wire the page's own elements directly.
  const byId = (id) => document.getElementById(id);
  byId('audit-filters').addEventListener('submit', (e) => {
    e.preventDefault();
    show(formFilters(), []);
  });
  byId('audit-older').addEventListener('click', () => {
    if (next) show(applied, [...cursors, next]);
  });
  byId('audit-newer').addEventListener('click', () => show(applied, cursors.slice(0, -1)));

  function applyRole(admin) {
    if (!admin) {
      applied = { limit: '20' };
      cursors = [];
      $('audit-filters').reset();
      clearFieldErrors();
    }
  }

  Views.register({ name: 'Audit trail', panel: 'audit-panel', adminOnly: true, load, clear, applyRole });
  return { clear };
})();
