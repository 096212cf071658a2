// The user lookup's profile as a readable card: RFM, sessions, affinities as bars, devices, hours as a small
// histogram, cohort and transitions.
'use strict';

const UserCard = (() => {
  const days = (from, to) => (from && to ? Math.max(0, (new Date(to) - new Date(from)) / 86400000) : null);

  function render(target, p) {
    for (const canvas of target.querySelectorAll('canvas')) Charts.clear(canvas);
    const counts = Object.entries(p.counts).filter(([, n]) => n > 0).map(([type, n]) => `${n.toLocaleString()} ${type.replaceAll('_', ' ')}`).join(', ') || 'no events';
    const recency = p.lastSeen ? `${days(p.lastSeen, new Date()).toFixed(1)} days ago` : '–';
    const stat = (label, value, cls) => el('div', { class: `stat ${cls || ''}`.trim() }, el('span', { class: 'label' }, label), el('span', {}, value));
    const cohort = p.cohort
      ? `#${p.cohort.cohortId} ${p.cohort.label} (since ${new Date(p.cohort.since).toLocaleString()}, segmentation v${p.cohort.segmentationVersion})`
      : 'no cohort yet';
    const affinityCanvas = el('canvas', { id: 'user-affinity-chart', role: 'img', 'aria-label': 'Category affinity (decayed, half-life 14 days)' });
    const hoursCanvas = el('canvas', { id: 'user-hours-chart', role: 'img', 'aria-label': 'Events per hour of day (UTC)' });
    const affinity = Object.entries(p.categoryAffinity).sort((a, b) => b[1] - a[1]).slice(0, 8);
    const devices = Object.entries(p.devices).sort((a, b) => b[1] - a[1]).map(([d, n]) => `${d} ${n}`).join(', ') || '–';
    const transitions = p.transitions.length
      ? el('ol', { class: 'transitions' }, ...p.transitions.slice(-5).reverse().map((t) =>
        el('li', {}, `${new Date(t.at).toLocaleString()}: ${t.from === null || t.from === undefined ? 'joined' : `#${t.from} →`} #${t.to} (segmentation v${t.segmentationVersion})`)))
      : el('p', { class: 'placeholder' }, 'No cohort change recorded.');
    const card = el('article', { class: 'user-card', 'data-user': p.userId },
      el('h3', {}, p.userId),
      el('p', { class: 'user-cohort' }, cohort),
      el('div', { class: 'stats' },
        stat('Recency', recency, 'rfm-recency'),
        stat('Frequency', `${p.eventsPerActiveDay.toFixed(1)} events/active day over ${p.activeDays} days`, 'rfm-frequency'),
        stat('Monetary', p.monetary.toFixed(2), 'rfm-monetary'),
        stat('Sessions', `${p.sessions} · ${p.averageSessionMinutes.toFixed(1)} min average`, 'sessions'),
        stat('Devices', devices, 'devices')),
      el('p', { class: 'note counts' }, `Events: ${counts}. First seen ${p.firstSeen ? new Date(p.firstSeen).toLocaleString() : '–'}.`),
      el('div', { class: 'detail-grid' },
        el('div', {}, el('h4', {}, 'Category affinity'), affinity.length ? el('div', { class: 'chart-box small' }, affinityCanvas) : el('p', { class: 'placeholder' }, 'No category affinity yet.')),
        el('div', {}, el('h4', {}, 'Hour of day (UTC)'), el('div', { class: 'chart-box small' }, hoursCanvas))),
      el('h4', {}, 'Cohort changes'), transitions);
    target.replaceChildren(card);
    if (affinity.length) {
      Charts.bars(affinityCanvas, affinity.map(([c]) => c), affinity.map(([, v]) => v), { axis: 'decayed affinity (half-life 14 days)' });
    }
    Charts.bars(hoursCanvas, p.hourOfDay.map((_, h) => String(h)), p.hourOfDay, { horizontal: false });
  }

  return { render };
})();
