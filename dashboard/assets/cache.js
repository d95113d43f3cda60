// farm dashboard: the cache page (/cache, admin only). Size against the
// budget, counters, the hit ratio over time, the biggest layers and which
// stored images pin what. Refreshed every 5 s.
'use strict';

(() => {
  const Farm = (window.Farm = window.Farm || {});
  Farm.pages = Farm.pages || {};
  const { esc } = Farm;

  const POLL_MS = 5000;
  const CHART_H = 180;
  const M = { left: 44, right: 16, top: 12, bottom: 26 }; // chart margins

  function ratio(hits, misses) {
    const total = (hits || 0) + (misses || 0);
    return total ? hits / total : null;
  }

  // Line chart of history[].hit_ratio. A null ratio (no lookups in that
  // interval) breaks the line instead of pretending to be 0%.
  function hitRatioChart(svg, history, width) {
    const w = Math.max(320, width);
    const plotW = w - M.left - M.right;
    const plotH = CHART_H - M.top - M.bottom;
    const pts = (history || []).filter((h) => h && Number.isFinite(h.t_ms));
    const parts = [];
    for (const v of [0, 0.5, 1]) {
      const y = M.top + (1 - v) * plotH;
      parts.push(`<line class="grid" x1="${M.left}" x2="${w - M.right}" y1="${y}" y2="${y}"></line>`);
      parts.push(`<text class="tick" x="${M.left - 6}" y="${y + 4}" text-anchor="end">${v * 100}%</text>`);
    }
    if (pts.length) {
      const t0 = pts[0].t_ms;
      const t1 = pts[pts.length - 1].t_ms;
      const span = Math.max(1, t1 - t0);
      const x = (t) => (pts.length === 1 ? M.left + plotW / 2 : M.left + ((t - t0) / span) * plotW);
      const y = (v) => M.top + (1 - Math.min(1, Math.max(0, v))) * plotH;
      let d = '';
      let runLength = 0;
      const dots = [];
      pts.forEach((p, i) => {
        const v = p.hit_ratio;
        if (v === null || v === undefined || !Number.isFinite(Number(v))) {
          runLength = 0;
          return;
        }
        d += `${runLength === 0 ? 'M' : 'L'}${x(p.t_ms).toFixed(1)},${y(v).toFixed(1)} `;
        runLength++;
        // A lone point between gaps would draw nothing: give it a dot.
        const prevNull = i === 0 || pts[i - 1].hit_ratio === null || pts[i - 1].hit_ratio === undefined;
        const nextNull = i === pts.length - 1 || pts[i + 1].hit_ratio === null || pts[i + 1].hit_ratio === undefined;
        if (prevNull && nextNull) dots.push(`<circle class="dot" cx="${x(p.t_ms).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5"></circle>`);
      });
      if (d) parts.push(`<path class="line" d="${d.trim()}"></path>`);
      parts.push(...dots);
      // Time labels at the ends and the quarters.
      const labels = pts.length > 1 ? [0, 0.25, 0.5, 0.75, 1] : [0.5];
      for (const f of labels) {
        const anchor = f === 0 && pts.length > 1 ? 'start' : f === 1 ? 'end' : 'middle';
        const lx = M.left + f * plotW;
        parts.push(`<text class="tick" x="${lx}" y="${CHART_H - 8}" text-anchor="${anchor}">${esc(Farm.fmtTime(t0 + f * (t1 - t0)))}</text>`);
        if (f > 0 && f < 1) parts.push(`<line class="grid" x1="${lx}" x2="${lx}" y1="${M.top}" y2="${M.top + plotH}"></line>`);
      }
      if (!d) parts.push(`<text class="empty-label" x="${M.left + 8}" y="${M.top + plotH / 2}">no cache lookups in this period</text>`);
    } else {
      parts.push(`<text class="empty-label" x="${M.left + 8}" y="${M.top + plotH / 2}">no history yet</text>`);
    }
    svg.setAttribute('width', w);
    svg.setAttribute('height', CHART_H);
    svg.setAttribute('viewBox', `0 0 ${w} ${CHART_H}`);
    svg.innerHTML = parts.join('');
  }

  function stat(label, value, title = '') {
    return `<div class="stat"${title ? ` title="${esc(title)}"` : ''}><div class="stat-value">${esc(value)}</div><div class="stat-label">${esc(label)}</div></div>`;
  }

  function layersHtml(layers) {
    if (!layers || !layers.length) return '<tr><td colspan="3" class="muted">no layers stored</td></tr>';
    return layers
      .map(
        (l) =>
          `<tr><td class="mono" title="${esc(l.digest)}">${esc(Farm.shortDigest(l.digest))}</td>` +
          `<td class="num">${esc(Farm.fmtBytes(l.bytes))}</td>` +
          `<td class="tags">${(l.images || []).map((i) => `<span class="tag">${esc(i)}</span>`).join(' ') || '<span class="muted">not pinned</span>'}</td></tr>`,
      )
      .join('');
  }

  function pinsHtml(images) {
    if (!images || !images.length) return '<tr><td colspan="5" class="muted">no images stored</td></tr>';
    return images
      .map(
        (i) =>
          `<tr><td>${esc(i.tenant)}</td>` +
          `<td class="tags">${(i.tags || []).map((t) => `<span class="tag">${esc(t)}</span>`).join(' ') || '<span class="muted">untagged</span>'}</td>` +
          `<td class="mono" title="${esc(i.id)}">${esc(Farm.shortDigest(i.id))}</td>` +
          `<td class="num">${esc(i.layers)}</td><td class="num">${esc(Farm.fmtBytes(i.bytes))}</td></tr>`,
      )
      .join('');
  }

  Farm.pages.cache = (ctx) => {
    ctx.root.innerHTML = `
      <div class="page-head"><h1>Cache</h1><span id="cache-updated" class="muted"></span></div>
      <div id="cache-error"></div>
      <div id="cache-body">
        <section class="card">
          <div class="size-row"><span class="size-label">Stored</span> <span id="cache-size">…</span></div>
          <div class="meter" id="cache-meter"><div class="meter-fill"></div></div>
          <div class="stats" id="cache-stats"></div>
        </section>
        <section class="card">
          <h2>Hit ratio <span class="muted hint">over time; gaps where nothing was looked up</span></h2>
          <div class="chart-wrap"><svg id="hit-ratio" xmlns="http://www.w3.org/2000/svg"></svg></div>
        </section>
        <div class="two-col">
          <section class="card">
            <h2>Biggest layers</h2>
            <div class="table-wrap"><table id="biggest-layers" class="grid">
              <thead><tr><th>Digest</th><th class="num">Size</th><th>Images</th></tr></thead><tbody></tbody>
            </table></div>
          </section>
          <section class="card">
            <h2>Pins <span class="muted hint">each stored image keeps its layers</span></h2>
            <div class="table-wrap"><table id="pins" class="grid">
              <thead><tr><th>Tenant</th><th>Tags</th><th>Image</th><th class="num">Layers</th><th class="num">Size</th></tr></thead><tbody></tbody>
            </table></div>
          </section>
        </div>
      </div>`;
    const $ = (sel) => ctx.root.querySelector(sel);
    const sizeEl = $('#cache-size');
    const meter = $('#cache-meter');
    const fill = $('.meter-fill');
    const statsEl = $('#cache-stats');
    const chart = $('#hit-ratio');
    const chartWrap = $('.chart-wrap');
    const errorBox = $('#cache-error');
    let lastHistory = [];

    function draw(data) {
      const s = data.stats || {};
      const used = s.blob_bytes || 0;
      const max = s.max_bytes || 0;
      sizeEl.textContent = max ? `${Farm.fmtBytes(used)} of ${Farm.fmtBytes(max)}` : `${Farm.fmtBytes(used)}, no budget`;
      const share = max ? Math.min(1, used / max) : 0;
      meter.hidden = !max;
      // Set through the CSSOM, which a strict CSP allows (inline style
      // attributes it would not).
      fill.style.width = `${(share * 100).toFixed(1)}%`;
      meter.classList.toggle('high', share >= 0.9);
      meter.title = max ? `${Math.round(share * 100)}% of the budget` : '';
      statsEl.innerHTML = [
        stat('blobs', Farm.fmtCount(s.blob_count)),
        stat('blob hits', Farm.fmtCount(s.blob_hits)),
        stat('blob misses', Farm.fmtCount(s.blob_misses)),
        stat('blob hit ratio', Farm.fmtPct(ratio(s.blob_hits, s.blob_misses))),
        stat('evictions', Farm.fmtCount(s.evictions), `${Farm.fmtBytes(s.evicted_bytes)} evicted`),
        stat('action entries', Farm.fmtCount(s.action_entries)),
        stat('action hit ratio', Farm.fmtPct(ratio(s.action_hits, s.action_misses)), `${s.action_hits || 0} hits, ${s.action_misses || 0} misses`),
        stat('written', Farm.fmtBytes(s.bytes_written)),
        stat('read', Farm.fmtBytes(s.bytes_read)),
      ].join('');
      lastHistory = data.history || [];
      hitRatioChart(chart, lastHistory, chartWrap.clientWidth);
      $('#biggest-layers tbody').innerHTML = layersHtml(data.biggest_layers);
      $('#pins tbody').innerHTML = pinsHtml(data.images);
      $('#cache-updated').textContent = `updated ${Farm.fmtTime(Date.now())}`;
    }

    let inflight = false;
    let denied = false;
    async function load() {
      if (inflight || denied) return;
      inflight = true;
      try {
        const data = await Farm.api('/api/cache');
        if (!ctx.alive()) return;
        errorBox.innerHTML = '';
        draw(data);
      } catch (err) {
        if (!ctx.alive() || err.status === 401) return;
        if (err.status === 403) {
          // Not an error to retry: this identity will never see the page.
          denied = true;
          ctx.root.innerHTML = '<div class="page-head"><h1>Cache</h1></div><div id="cache-denied" class="notice">the cache page needs the admin role</div>';
          return;
        }
        ctx.fail(err, errorBox);
      } finally {
        inflight = false;
      }
    }

    load();
    ctx.every(load, POLL_MS);
    const onResize = () => hitRatioChart(chart, lastHistory, chartWrap.clientWidth);
    window.addEventListener('resize', onResize);
    ctx.onLeave(() => window.removeEventListener('resize', onResize));
  };
})();
