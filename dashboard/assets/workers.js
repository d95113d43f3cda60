// farm dashboard: the workers page (/workers). Polls GET /api/workers every
// 2 s: the "workers" events of /api/stream reach admins only, and polling
// serves every role with one code path.
'use strict';

(() => {
  const Farm = (window.Farm = window.Farm || {});
  Farm.pages = Farm.pages || {};
  const { esc } = Farm;

  const POLL_MS = 2000;
  const SPARK_W = 140;
  const SPARK_H = 26;

  // Running jobs over time as a stepped area, scaled so the top edge is
  // "every slot busy"; a dashed line marks that top.
  function sparkline(load, slots) {
    const samples = (load || []).filter((s) => s && Number.isFinite(s.t_ms));
    const top = Math.max(1, slots || 0, ...samples.map((s) => s.running || 0));
    const full = SPARK_H - 2 - ((slots || 0) / top) * (SPARK_H - 4);
    let body = '';
    if (samples.length) {
      const t0 = samples[0].t_ms;
      const span = Math.max(1, samples[samples.length - 1].t_ms - t0);
      const xOf = (t) => (samples.length === 1 ? SPARK_W : ((t - t0) / span) * SPARK_W);
      const yOf = (r) => SPARK_H - 1 - (Math.max(0, r || 0) / top) * (SPARK_H - 4);
      let d = `M0,${SPARK_H - 1}`;
      samples.forEach((s, i) => {
        const x = i === 0 ? 0 : xOf(s.t_ms);
        const y = yOf(s.running);
        d += i === 0 ? ` L0,${y.toFixed(1)}` : ` L${x.toFixed(1)},${yOf(samples[i - 1].running).toFixed(1)} L${x.toFixed(1)},${y.toFixed(1)}`;
      });
      d += ` L${SPARK_W},${yOf(samples[samples.length - 1].running).toFixed(1)} L${SPARK_W},${SPARK_H - 1} Z`;
      body = `<path class="spark-area" d="${d}"></path>`;
    }
    const peak = samples.reduce((m, s) => Math.max(m, s.running || 0), 0);
    const minutes = samples.length > 1 ? Math.round((samples[samples.length - 1].t_ms - samples[0].t_ms) / 60000) : 0;
    const title = samples.length
      ? `peak ${peak} of ${slots} slots${minutes ? ` over the last ${minutes} min` : ''}`
      : 'no load samples yet';
    return (
      `<svg class="sparkline" width="${SPARK_W}" height="${SPARK_H}" viewBox="0 0 ${SPARK_W} ${SPARK_H}" role="img" aria-label="${esc(title)}">` +
      `<title>${esc(title)}</title>` +
      `<line class="spark-full" x1="0" x2="${SPARK_W}" y1="${full.toFixed(1)}" y2="${full.toFixed(1)}"></line>` +
      `${body}</svg>`
    );
  }

  function platformsHtml(w) {
    const native = (w.native_platforms || []).map((p) => `<span class="tag">${esc(p)}</span>`);
    const emulated = (w.emulated_platforms || []).map((p) => `<span class="tag emulated" title="emulated">${esc(p)}</span>`);
    return native.concat(emulated).join(' ') || '<span class="muted">–</span>';
  }

  function rowHtml(w) {
    const busy = w.slots ? Math.min(1, (w.running_jobs || 0) / w.slots) : 0;
    return (
      `<tr data-worker-id="${esc(w.id)}" data-state="${esc(w.state)}">` +
      `<td class="id">${esc(w.id)}</td>` +
      `<td>${Farm.badge(w.state)}</td>` +
      `<td class="num">${esc(w.slots)}</td>` +
      `<td class="num${busy >= 1 ? ' full' : ''}">${esc(w.running_jobs)}</td>` +
      `<td class="tags">${platformsHtml(w)}</td>` +
      `<td class="num">${esc(Farm.fmtBytes(w.cached_bytes))}</td>` +
      `<td class="num">${esc(Farm.fmtBytes(w.disk_free_bytes))}</td>` +
      `<td class="ago" data-ts="${Number(w.last_heartbeat_ms) || 0}" title="${esc(Farm.fmtFullTime(w.last_heartbeat_ms))}">${esc(Farm.fmtAgo(w.last_heartbeat_ms))}</td>` +
      `<td class="num">${esc(Farm.fmtCount(w.jobs_completed))}</td>` +
      `<td class="spark">${sparkline(w.load, w.slots)}</td>` +
      '</tr>'
    );
  }

  Farm.pages.workers = (ctx) => {
    ctx.root.innerHTML = `
      <div class="page-head">
        <h1>Workers</h1>
        <span id="workers-summary" class="muted"></span>
      </div>
      <div id="workers-error"></div>
      <div class="table-wrap">
        <table id="workers" class="grid">
          <thead><tr>
            <th>Worker</th><th>State</th><th class="num">Slots</th><th class="num">Running</th><th>Platforms</th>
            <th class="num">Cached</th><th class="num">Disk free</th><th>Last heartbeat</th><th class="num">Jobs done</th><th>Load</th>
          </tr></thead>
          <tbody></tbody>
        </table>
        <p id="workers-empty" class="empty" hidden>No workers have registered.</p>
      </div>`;
    const tbody = ctx.root.querySelector('#workers tbody');
    const summary = ctx.root.querySelector('#workers-summary');
    const errorBox = ctx.root.querySelector('#workers-error');
    const empty = ctx.root.querySelector('#workers-empty');

    let inflight = false;
    async function load() {
      if (inflight) return; // a slow answer must not pile up requests
      inflight = true;
      try {
        const data = await Farm.api('/api/workers');
        if (!ctx.alive()) return;
        const workers = (data.workers || []).slice().sort((a, b) => String(a.id).localeCompare(String(b.id)));
        tbody.innerHTML = workers.map(rowHtml).join('');
        empty.hidden = workers.length > 0;
        const slots = workers.reduce((n, w) => n + (w.slots || 0), 0);
        summary.textContent =
          `${workers.length} worker${workers.length === 1 ? '' : 's'}, ${slots} slots · ` +
          `${data.jobs_running || 0} jobs running, ${data.jobs_queued || 0} queued`;
        errorBox.innerHTML = '';
      } catch (err) {
        ctx.fail(err, errorBox);
      } finally {
        inflight = false;
      }
    }

    // "3 s ago" keeps counting between polls.
    function tickAgo() {
      const now = Farm.serverNow();
      for (const td of tbody.querySelectorAll('td.ago')) td.textContent = Farm.fmtAgo(Number(td.dataset.ts), now);
    }

    load();
    ctx.every(load, POLL_MS);
    ctx.every(tickAgo, 1000);
  };
})();
