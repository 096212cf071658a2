// Merchandising rules (GET/PUT /v1/rules): the set in effect as a readable table, what each rule costs or earns
// (GET /v1/outcomes?groupBy=rule), and for admin keys an editor that saves the whole set with PUT and shows each
// problem the server names next to its field (rules[2].factor beside rule 2's factor input).
'use strict';

const Rules = (() => {
  const COMMON = [['id', 'string'], ['priority', 'number'], ['cohortId', 'number'], ['validFrom', 'string'], ['validUntil', 'string']];
  const KIND_FIELDS = {
    pin: [['itemId', 'string'], ['slot', 'number']],
    boost: [['match', 'json'], ['factor', 'number']],
    bury: [['match', 'json'], ['factor', 'number']],
    block: [['itemIds', 'json'], ['categories', 'json']],
    cap: [['max', 'number'], ['category', 'string']],
    minPrice: [['price', 'number']],
  };
  const TEMPLATES = {
    pin: { itemId: '', slot: 1 },
    boost: { match: { categories: [] }, factor: 1.5 },
    bury: { match: { categories: [] }, factor: 0.5 },
    block: { itemIds: [] },
    cap: { max: 3 },
    minPrice: { price: 1 },
  };
  const OUTCOME_HOURS = 24;
  let set = null; // the last set read (or saved)
  let editingFrom = null; // the version the open editor started from; null when closed

  const list = (values) => (values && values.length ? values.join(', ') : '');

  function target(rule, info) {
    switch (rule.kind) {
      case 'pin': return `item ${itemLabel(info(rule.itemId), rule.itemId)}`;
      case 'boost':
      case 'bury': {
        const m = rule.match || {};
        const parts = [];
        if (m.categories?.length) parts.push(`categories ${list(m.categories)}`);
        if (m.tags?.length) parts.push(`tags ${list(m.tags)}`);
        if (m.minPrice != null || m.maxPrice != null) parts.push(`price ${m.minPrice ?? 0} … ${m.maxPrice ?? '∞'}`);
        return `items with ${parts.join(' and ') || 'no match'}`;
      }
      case 'block': return [rule.itemIds?.length ? `items ${list(rule.itemIds)}` : '', rule.categories?.length ? `categories ${list(rule.categories)}` : ''].filter(Boolean).join('; ');
      case 'cap': return rule.category ? `category ${rule.category}` : 'every category';
      case 'minPrice': return 'every priced item';
      default: return JSON.stringify(rule);
    }
  }

  function effect(rule) {
    switch (rule.kind) {
      case 'pin': return `slot ${rule.slot}`;
      case 'boost': return `score × ${rule.factor}`;
      case 'bury': return `score × ${rule.factor}`;
      case 'block': return 'never served';
      case 'cap': return `at most ${rule.max} per list`;
      case 'minPrice': return `price ≥ ${rule.price}`;
      default: return '';
    }
  }

  // Whether the validity window holds now, by this browser's clock (the silos use theirs).
  function windowState(rule, now) {
    const from = rule.validFrom ? new Date(rule.validFrom) : null;
    const until = rule.validUntil ? new Date(rule.validUntil) : null;
    if (from && now < from) return ['pending', `not yet (from ${from.toLocaleString()})`];
    if (until && now >= until) return ['expired', `expired ${until.toLocaleString()}`];
    return ['active', 'yes'];
  }

  const windowText = (rule) => (rule.validFrom || rule.validUntil
    ? `${rule.validFrom ? new Date(rule.validFrom).toLocaleString() : 'always'} – ${rule.validUntil ? new Date(rule.validUntil).toLocaleString() : 'open'}`
    : 'always');

  // The documented resolution order: priority (higher first), a cohort's own rules before global ones, then id.
  const ordered = (rules) => [...rules].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0)
    || ((a.cohortId ?? null) === null) - ((b.cohortId ?? null) === null)
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  function clear(text = 'Not loaded.') {
    set = null;
    $('rules').tBodies[0].replaceChildren(placeholder(text, 8));
    $('rules-note').textContent = text;
    $('rules-edit').disabled = true;
    clearOutcomes(text);
  }

  function clearOutcomes(text) {
    $('rule-outcomes').tBodies[0].replaceChildren(placeholder(text, 7));
    Charts.clear($('rule-outcomes-chart'));
  }

  async function load() {
    const to = new Date();
    const from = new Date(to.getTime() - OUTCOME_HOURS * 3600 * 1000);
    const [rules, outcomes] = await Promise.all([
      api('/v1/rules'),
      api(`/v1/outcomes?groupBy=rule&granularity=hour&from=${from.toISOString()}&to=${to.toISOString()}`),
    ]);
    const info = await itemInfo(rules.rules.filter((r) => r.kind === 'pin').map((r) => r.itemId));
    return () => render(rules, outcomes, info);
  }

  function render(rules, outcomes, info) {
    set = rules;
    $('rules-edit').disabled = false;
    const now = new Date();
    $('rules-note').textContent = rules.version === 0
      ? 'No rule set has been saved: lists are served as ranked.'
      : `Version ${rules.version}, saved ${new Date(rules.updatedAt).toLocaleString()}. Listed in the order conflicts are resolved: priority, a cohort's own rules before global ones, then id. Rules act on trained-model serving.`;
    const body = $('rules').tBodies[0];
    body.replaceChildren(...(rules.rules.length
      ? ordered(rules.rules).map((r) => {
        const [cls, text] = windowState(r, now);
        return el('tr', { class: `rule ${cls}`, 'data-rule': r.id },
          el('th', { scope: 'row' }, r.id), el('td', { class: 'rule-kind' }, r.kind),
          el('td', { class: 'rule-scope' }, r.cohortId === null || r.cohortId === undefined ? 'global' : `cohort #${r.cohortId}`),
          el('td', { class: 'rule-target' }, target(r, info)), el('td', { class: 'rule-effect' }, effect(r)),
          el('td', {}, windowText(r)), el('td', { class: 'rule-priority' }, String(r.priority ?? 0)),
          el('td', { class: 'rule-active' }, text));
      })
      : [el('tr', {}, el('td', { colspan: 8 }, 'No rules.'))]));
    if (editingFrom !== null && editingFrom !== rules.version) {
      $('rules-editor-note').textContent = `The set changed on the server (now version ${rules.version}) since you started editing version ${editingFrom}; saving replaces it.`;
    }
    renderOutcomes(rules, outcomes);
  }

  const pct = (e) => (e ? `${(100 * e.value).toFixed(2)}%` : '–');
  const interval = (e, digits = 2, scale = 100, unit = '%') => (e ? `[${(scale * e.low).toFixed(digits)}, ${(scale * e.high).toFixed(digits)}]${unit}` : '');

  // Per rule, its impressions and clicks per impression against the slots no rule placed (`none`): a rule whose
  // interval sits below none's costs clicks, one above earns them.
  function renderOutcomes(rules, outcomes) {
    const known = new Set(rules.rules.map((r) => r.id));
    const groups = [...outcomes.groups].sort((a, b) => (a.key === 'none') - (b.key === 'none') || (a.key < b.key ? -1 : 1));
    const none = groups.find((g) => g.key === 'none')?.total.clicksPerImpression ?? null;
    $('rule-outcomes-note').textContent = groups.length
      ? `Last ${OUTCOME_HOURS} hours. Clicks per impression with 95% intervals; "none" are the slots no rule placed or re-scored, the reference a rule reads against. Conversion per response cannot be split by rule (a response is never one rule's); revenue per impression can.`
      : `No outcomes in the last ${OUTCOME_HOURS} hours.`;
    const body = $('rule-outcomes').tBodies[0];
    if (!groups.length) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: 7 }, `No outcomes in the last ${OUTCOME_HOURS} hours.`)));
      Charts.clear($('rule-outcomes-chart'));
      return;
    }
    body.replaceChildren(...groups.map((g) => {
      const t = g.total;
      const ctr = t.clicksPerImpression;
      const diff = ctr && none && g.key !== 'none' ? `${(100 * (ctr.value - none.value)) >= 0 ? '+' : ''}${(100 * (ctr.value - none.value)).toFixed(2)} pt` : '–';
      const name = g.key === 'none' ? 'none (no rule)' : `${g.key}${known.has(g.key) ? '' : ' (not in the current set)'}`;
      return el('tr', { class: 'rule-outcome', 'data-rule': g.key },
        el('th', { scope: 'row' }, name), el('td', {}, t.impressions.toLocaleString()), el('td', {}, t.clicks.toLocaleString()),
        el('td', { class: 'rule-ctr' }, `${pct(ctr)} ${interval(ctr)}`), el('td', { class: 'rule-vs-none' }, diff),
        el('td', {}, t.purchases.toLocaleString()),
        el('td', {}, t.revenuePerImpression ? `${t.revenuePerImpression.value.toFixed(3)} ${interval(t.revenuePerImpression, 3, 1, '')}` : '–'));
    }));
    const rows = groups.filter((g) => g.total.clicksPerImpression).map((g) => {
      const e = g.total.clicksPerImpression;
      const color = g.key === 'none' ? '#495057' : none && e.low > none.high ? '#2b8a3e' : none && e.high < none.low ? '#c92a2a' : '#3657d6';
      return { label: g.key, value: e.value, low: e.low, high: e.high, color };
    });
    Charts.forest($('rule-outcomes-chart'), rows, { axis: 'clicks per impression (95% interval)' });
  }

  // ---- The editor (admin keys): one fieldset per rule, one input per field, named as the server names it. ----

  function fieldsOf(rule) {
    const fields = [...COMMON, ...(KIND_FIELDS[rule.kind] || [])];
    // Anything else the rule carries is kept editable rather than dropped on save.
    for (const [k, v] of Object.entries(rule)) {
      if (k !== 'kind' && !fields.some(([name]) => name === k)) fields.push([k, typeof v === 'number' ? 'number' : typeof v === 'string' ? 'string' : 'json']);
    }
    return fields;
  }

  const text = (v, type) => (v === null || v === undefined ? '' : type === 'json' ? JSON.stringify(v) : String(v));

  function renderEditor(rules) {
    const form = $('rules-editor');
    const sets = rules.map((rule, i) => {
      const remove = el('button', { type: 'button', class: 'rule-remove', 'aria-label': `Remove rule ${i + 1} (${rule.id || rule.kind})` }, 'Remove');
      remove.addEventListener('click', () => {
        const current = collect();
        current.splice(i, 1);
        renderEditor(current);
      });
      const inputs = fieldsOf(rule).map(([name, type]) => {
        const path = `rules[${i}].${name}`;
        const input = el('input', { 'data-field': path, 'data-type': type, 'data-name': name, id: `rule-${i}-${name}`, value: text(rule[name], type) });
        return el('div', { class: 'rule-field' },
          el('label', { for: `rule-${i}-${name}` }, name), input,
          el('span', { class: 'field-error', 'data-for': path, role: 'alert' }));
      });
      return el('fieldset', { class: 'rule-edit', 'data-index': String(i), 'data-kind': rule.kind },
        el('legend', {}, `Rule ${i + 1}: ${rule.kind}`), ...inputs, remove,
        el('span', { class: 'field-error', 'data-for': `rules[${i}]`, role: 'alert' }));
    });
    const kind = el('select', { id: 'rule-new-kind', 'aria-label': 'Kind of the rule to add' }, ...Object.keys(KIND_FIELDS).map((k) => el('option', { value: k }, k)));
    const add = el('button', { type: 'button', id: 'rule-add' }, 'Add rule');
    add.addEventListener('click', () => {
      const current = collect();
      const k = kind.value;
      current.push({ kind: k, id: `${k}-${current.length + 1}`, ...structuredClone(TEMPLATES[k]) });
      renderEditor(current);
    });
    const save = el('button', { type: 'submit', id: 'rules-save' }, 'Save rules');
    const cancel = el('button', { type: 'button', id: 'rules-cancel' }, 'Cancel');
    cancel.addEventListener('click', closeEditor);
    form.replaceChildren(
      el('p', { class: 'note', id: 'rules-editor-note' }, `Editing version ${editingFrom}. Saving replaces the whole set; the server checks it against the live catalog and changes nothing when a field is wrong.`),
      el('span', { class: 'field-error', 'data-for': 'rules', role: 'alert' }),
      ...sets,
      el('div', { class: 'actions' }, kind, add, save, cancel));
    form.hidden = false;
  }

  function value(input) {
    const raw = input.value.trim();
    if (raw === '') return undefined;
    // A value that does not parse is sent as typed, so the server names the field rather than the page guessing.
    if (input.dataset.type === 'number') return Number.isFinite(Number(raw)) ? Number(raw) : raw;
    if (input.dataset.type === 'json') {
      try { return JSON.parse(raw); } catch { return raw; }
    }
    return raw;
  }

  function collect() {
    return [...document.querySelectorAll('#rules-editor fieldset.rule-edit')].map((fs) => {
      const rule = { kind: fs.dataset.kind };
      for (const input of fs.querySelectorAll('input[data-field]')) {
        const v = value(input);
        if (v !== undefined) rule[input.dataset.name] = v;
      }
      return rule;
    });
  }

  function clearFieldErrors() {
    for (const span of document.querySelectorAll('#rules-editor .field-error')) span.textContent = '';
    for (const input of document.querySelectorAll('#rules-editor [aria-invalid]')) input.removeAttribute('aria-invalid');
  }

  // The server names fields as JSON paths (rules[2].match.tags[0]); the error goes to the nearest enclosing field
  // that has an input or a slot: the input, then the rule, then the whole set.
  function showFieldError(field, messages) {
    let path = field;
    for (;;) {
      const slot = document.querySelector(`#rules-editor .field-error[data-for="${CSS.escape(path)}"]`);
      if (slot) {
        slot.textContent = `${field}: ${messages.join(' ')}`;
        const input = document.querySelector(`#rules-editor input[data-field="${CSS.escape(path)}"]`);
        input?.setAttribute('aria-invalid', 'true');
        return input || slot;
      }
      const shorter = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
      if (shorter === path || shorter === '') break;
      path = shorter;
    }
    const top = document.querySelector('#rules-editor .field-error[data-for="rules"]');
    top.textContent = `${top.textContent} ${field}: ${messages.join(' ')}`.trim();
    return top;
  }

  async function save(event) {
    event.preventDefault();
    clearFieldErrors();
    const button = $('rules-save');
    button.disabled = true;
    try {
      const saved = await busy($('rules-panel'), () => api('/v1/rules', {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ rules: collect() }),
      }));
      closeEditor();
      setStatus(`rules version ${saved.version} saved`);
      await refresh();
    } catch (e) {
      const errors = e.problem?.errors;
      if (e.status === 400 && errors) {
        let first = null;
        for (const [field, messages] of Object.entries(errors)) first = first || showFieldError(field, messages);
        first?.focus?.();
      } else {
        reportError('Saving rules', e);
        if (e.status === 401 || e.status === 403) disconnect('The key was refused.');
      }
    } finally {
      button.disabled = false;
    }
  }

  function openEditor() {
    if (!set) return;
    editingFrom = set.version;
    renderEditor(ordered(set.rules).map((r) => structuredClone(r)));
    $('rules-edit').hidden = true;
  }

  function closeEditor() {
    editingFrom = null;
    $('rules-editor').replaceChildren();
    $('rules-editor').hidden = true;
    $('rules-edit').hidden = !isAdmin();
  }

  // Analyst keys read; the editor and its button exist only for admin keys.
  function applyRole(admin) {
    if (!admin) closeEditor();
    $('rules-edit').hidden = !admin || editingFrom !== null;
  }

  // dashboard.js (which defines $) loads after the views: wire the page's own elements directly.
  document.getElementById('rules-edit').addEventListener('click', openEditor);
  document.getElementById('rules-editor').addEventListener('submit', save);

  Views.register({ name: 'Merchandising rules', panel: 'rules-panel', adminOnly: false, load, clear, applyRole });
  return { clear };
})();
