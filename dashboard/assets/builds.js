// farm dashboard: the builds list (/builds). Rows arrive through the
// /api/stream "builds" events; the state and tag filters are applied here on
// the rows held, and kept in the URL query so a filtered view can be shared.
'use strict';

(() => {
  const Farm = (window.Farm = window.Farm || {});
  Farm.pages = Farm.pages || {};
  const { esc } = Farm;

  const STATES = ['running', 'succeeded', 'failed', 'cancelled'];

  // Newest first, as the API sorts; the id breaks ties so the order is
  // stable and unchanged rows keep their place.
  function newestFirst(a, b) {
    return b.row.started_ms - a.row.started_ms || (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0);
  }

  // Same test as the server's ?tag=: a plain, case-sensitive substring of
  // any tag.
  function matches(row, state, tag) {
    if (state && row.state !== state) return false;
    if (!tag) return true;
    return (row.tags || []).some((t) => String(t).includes(tag));
  }

  // A running build's duration keeps growing between updates: the cell
  // carries the local time its build started (data-since) and a one-second
  // tick rewrites only those cells.
  // -> the row's <td>s as HTML strings, compared cell by cell on updates.
  function rowCells(entry) {
    const r = entry.row;
    const running = r.state === 'running';
    const href = `/builds/${encodeURIComponent(r.id)}`;
    const tags = (r.tags || []).map((t) => `<span class="tag">${esc(t)}</span>`).join(' ');
    const target = r.target ? `<span class="target" title="target stage">→ ${esc(r.target)}</span>` : '';
    const ratio = r.cache_hit_ratio;
    const cacheTitle = r.steps ? `${r.steps_cached} of ${r.steps} steps cached` : 'no steps';
    const since = entry.recv - (r.duration_ms || 0);
    return [
      `<td class="id"><a href="${esc(href)}">${esc(r.id)}</a></td>`,
      `<td>${Farm.badge(r.state, r.error || '')}</td>`,
      `<td class="tags">${tags}${target}</td>`,
      `<td class="client">${esc(r.client)}</td>`,
      `<td>${esc(r.tenant)}</td>`,
      `<td class="time" title="${esc(Farm.fmtFullTime(r.started_ms))}">${esc(Farm.fmtTime(r.started_ms))}</td>`,
      running
        ? `<td class="num dur" data-since="${since}">${esc(Farm.fmtDuration(entry.recv - since))}</td>`
        : `<td class="num dur">${esc(Farm.fmtDuration(r.duration_ms))}</td>`,
      `<td class="num">${esc(r.stages)}</td>`,
      `<td class="num">${esc(r.jobs_dispatched)}</td>`,
      `<td class="num" title="${esc(cacheTitle)}">${ratio === null || ratio === undefined ? '<span class="muted">–</span>' : esc(Farm.fmtPct(ratio))}</td>`,
    ];
  }

  const DUR_CELL = 6; // the duration's index in rowCells

  function rowHtml(row, cells) {
    return `<tr data-build-id="${esc(row.id)}" data-state="${esc(row.state)}">${cells.join('')}</tr>`;
  }

  Farm.pages.builds = (ctx) => {
    const state0 = STATES.includes(ctx.query.get('state')) ? ctx.query.get('state') : '';
    const tag0 = ctx.query.get('tag') || '';
    ctx.root.innerHTML = `
      <div class="page-head">
        <h1>Builds</h1>
        <span id="builds-live" class="live-status">connecting…</span>
      </div>
      <div class="toolbar">
        <label>State
          <select id="filter-state">
            <option value="">all</option>
            ${STATES.map((s) => `<option value="${s}"${s === state0 ? ' selected' : ''}>${s}</option>`).join('')}
          </select>
        </label>
        <label>Tag
          <input id="filter-tag" type="search" placeholder="part of a tag" value="${esc(tag0)}" spellcheck="false">
        </label>
        <span id="builds-count" class="muted"></span>
      </div>
      <div class="table-wrap tall">
        <table id="builds" class="grid">
          <thead><tr>
            <th>Build</th><th>State</th><th>Tags</th><th>Client</th><th>Tenant</th><th>Started</th>
            <th class="num">Duration</th><th class="num">Stages</th><th class="num">Jobs</th><th class="num">Cache hits</th>
          </tr></thead>
          <tbody></tbody>
        </table>
        <p id="builds-empty" class="empty" hidden></p>
      </div>`;
    const tbody = ctx.root.querySelector('#builds tbody');
    const selectState = ctx.root.querySelector('#filter-state');
    const inputTag = ctx.root.querySelector('#filter-tag');
    const count = ctx.root.querySelector('#builds-count');
    const empty = ctx.root.querySelector('#builds-empty');
    const live = ctx.root.querySelector('#builds-live');

    // id -> {row, recv (local ms when received), cells, html (cached markup)}
    const entries = new Map();
    const dirty = new Set(); // ids whose markup must be rebuilt
    const shown = new Map(); // id -> {tr, cells} for the rows in the tbody
    let streamed = false; // the stream's first reset supersedes the fetch

    function apply(changed, removed, reset) {
      const recv = Date.now();
      if (reset) {
        for (const id of entries.keys()) dirty.add(id);
        entries.clear();
      }
      for (const row of changed || []) {
        if (!row || !row.id) continue;
        entries.set(row.id, { row, recv, cells: null, html: null });
        dirty.add(row.id);
      }
      for (const id of removed || []) {
        if (entries.delete(id)) dirty.add(id);
      }
      redraw();
    }

    function rebuildAll(visible) {
      tbody.innerHTML = visible.map((e) => e.html).join('');
      shown.clear();
      const rows = tbody.rows;
      for (let i = 0; i < rows.length; i++) shown.set(visible[i].row.id, { tr: rows[i], cells: visible[i].cells });
    }

    // A changed row keeps its <tr> (and the link someone may be about to
    // click); only the cells whose markup differs are replaced.
    function updateRow(view, entry) {
      const { tr } = view;
      if (tr.dataset.state !== entry.row.state) tr.dataset.state = entry.row.state;
      entry.cells.forEach((html, i) => {
        if (view.cells[i] === html || !tr.cells[i]) return;
        // A running build's duration is ticking anyway: move its origin.
        const td = tr.cells[i];
        if (i === DUR_CELL && td.dataset.since && entry.row.state === 'running') {
          td.dataset.since = String(entry.recv - (entry.row.duration_ms || 0));
        } else {
          td.outerHTML = html;
        }
      });
      view.cells = entry.cells;
    }

    // Keyed update: rows keep their element and only move if they must (a
    // new build arrives at the top, the rest stay put). New rows are
    // parsed together from one HTML string.
    function patch(visible, fresh) {
      const made = new Map();
      if (fresh.length) {
        const t = document.createElement('template');
        t.innerHTML = `<table><tbody>${fresh.map((e) => e.html).join('')}</tbody></table>`;
        const rows = t.content.querySelectorAll('tr');
        fresh.forEach((e, i) => made.set(e.row.id, { tr: rows[i], cells: e.cells }));
      }
      const keep = new Set(visible.map((e) => e.row.id));
      for (const [id, view] of shown) {
        if (!keep.has(id)) {
          view.tr.remove();
          shown.delete(id);
        } else if (dirty.has(id)) {
          updateRow(view, entries.get(id));
        }
      }
      let cursor = tbody.firstElementChild;
      for (const e of visible) {
        const view = made.get(e.row.id) || shown.get(e.row.id);
        if (!view) continue;
        if (view.tr === cursor) cursor = cursor.nextElementSibling;
        else tbody.insertBefore(view.tr, cursor);
        shown.set(e.row.id, view);
      }
    }

    // Draws at most once per frame however many events arrived. Small
    // changes patch the rows in place; big ones (the first load, a new
    // filter) rebuild the tbody from one string of cached row markup.
    const redraw = Farm.frameThrottle(() => {
      const state = selectState.value;
      const tag = inputTag.value;
      const visible = [];
      for (const entry of entries.values()) if (matches(entry.row, state, tag)) visible.push(entry);
      visible.sort(newestFirst);
      const fresh = [];
      for (const entry of visible) {
        if (!entry.cells) {
          entry.cells = rowCells(entry);
          entry.html = rowHtml(entry.row, entry.cells);
        }
        if (!shown.has(entry.row.id)) fresh.push(entry);
      }
      const leaving = shown.size - (visible.length - fresh.length);
      if (fresh.length > 100 || fresh.length > visible.length / 2 || leaving > 200) rebuildAll(visible);
      else patch(visible, fresh);
      dirty.clear();
      tickDurations();
      const total = entries.size;
      count.textContent = visible.length === total ? `${total} builds` : `${visible.length} of ${total} builds`;
      empty.hidden = visible.length > 0;
      empty.textContent = total === 0 ? 'No builds yet.' : 'No builds match the filters.';
    });
    ctx.onLeave(() => redraw.cancel());

    function tickDurations() {
      const now = Date.now();
      for (const td of tbody.querySelectorAll('td.dur[data-since]')) {
        td.textContent = Farm.fmtDuration(now - Number(td.dataset.since));
      }
    }
    ctx.every(tickDurations, 1000);

    // The filters live in the URL (replaceState: typing is not history).
    function filtersChanged() {
      const q = new URLSearchParams();
      if (selectState.value) q.set('state', selectState.value);
      if (inputTag.value) q.set('tag', inputTag.value);
      const qs = q.toString();
      history.replaceState(null, '', `/builds${qs ? `?${qs}` : ''}`);
      redraw();
    }
    selectState.addEventListener('change', filtersChanged);
    inputTag.addEventListener('input', filtersChanged);

    // The live feed. An EventSource retries by itself after a dropped
    // connection; if it gives up (CLOSED: e.g. a 401 or 403 answer) we check
    // whether the session ended, then open a new one a little later.
    function connect() {
      const es = ctx.source('/api/stream');
      es.addEventListener('open', () => {
        live.textContent = 'live';
        live.className = 'live-status on';
      });
      es.addEventListener('builds', (event) => {
        let body;
        try {
          body = JSON.parse(event.data);
        } catch (err) {
          return;
        }
        streamed = true;
        apply(body.changed, body.removed, Boolean(body.reset));
      });
      es.addEventListener('error', () => {
        if (!ctx.alive()) return;
        live.textContent = 'reconnecting…';
        live.className = 'live-status off';
        if (es.readyState === EventSource.CLOSED) {
          es.close();
          Farm.api('/api/whoami').then(
            () => ctx.after(connect, 3000),
            (err) => err.status !== 401 && ctx.after(connect, 5000),
          );
        }
      });
    }

    // The list right away (and a 401 check, which an EventSource cannot
    // see), then the stream; its first event resets to the same rows.
    Farm.api('/api/builds')
      .then((data) => {
        if (ctx.alive() && !streamed) apply(data.builds || [], [], true);
      })
      .catch((err) => {
        if (err.status !== 401 && ctx.alive() && !streamed) {
          empty.hidden = false;
          empty.innerHTML = Farm.errorHtml(err.message);
        }
      });
    connect();
  };
})();
