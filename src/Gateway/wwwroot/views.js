// The registry of views that live in their own files (rules.js, quality.js, drift.js, audit.js, cluster.js): dashboard.js mounts
// each into its periodic refresh, its role switch and its "clear everything" — the same states as its own panels.
// A view is { name, panel (element id), adminOnly, load() → render thunk, clear(text), applyRole() }.
'use strict';

const Views = (() => {
  const list = [];

  function register(view) {
    list.push(view);
  }

  // The views this key may read (admin-only views are never requested with an analyst key).
  const visible = (admin) => list.filter((v) => admin || !v.adminOnly);

  function applyRole(admin) {
    for (const v of list) {
      if (v.adminOnly) document.getElementById(v.panel).hidden = !admin;
      v.applyRole?.(admin);
    }
  }

  function clearAll(text) {
    for (const v of list) v.clear(text);
  }

  return { register, visible, applyRole, clearAll };
})();
