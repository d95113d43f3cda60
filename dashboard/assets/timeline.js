// farm dashboard: the build page's timeline (svg#timeline). One row per
// worker slot ("w1 · slot 0", from the build's "lanes"), one bar per stage
// job, thin sub-bars for the job's steps. Idle time is simply empty space.
// While the build runs, the time axis has headroom, so a live tick only has
// to stretch the running bars; the axis is redrawn when time outgrows it.
'use strict';

(() => {
  const Farm = (window.Farm = window.Farm || {});
  const { esc } = Farm;

  const LABEL_W = 120;
  const AXIS_H = 26;
  const ROW_H = 28;
  const BAR_H = 20;
  const STEP_H = 5;
  const PAD_R = 16;
  const MIN_PLOT_W = 480;

  // Tick intervals a person reads easily, in ms.
  const STEPS = [100, 200, 500, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 21600e3];

  function tickStep(spanMs, plotW) {
    const wanted = spanMs / Math.max(1, plotW / 90); // about one tick per 90 px
    return STEPS.find((s) => s >= wanted) || STEPS[STEPS.length - 1];
  }

  // Offsets from the build's start: "0s", "1.5s", "45s", "2m", "2m30s",
  // "1h05m". Sub-second tick steps get a decimal so no two ticks read alike.
  function fmtOffset(ms, step) {
    if (ms < 60000 && step % 1000 !== 0) return `${(ms / 1000).toFixed(1)}s`;
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s}s`;
    if (s < 3600) return s % 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s / 60}m`;
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  }

  // Rows: the worker lanes the server lists, then any lane a job names
  // that the list missed, so no job is ever dropped.
  function rowsOf(detail) {
    const rows = [];
    const index = new Map();
    const add = (worker, lane) => {
      const key = `${worker}\u0000${lane}`;
      if (index.has(key)) return;
      index.set(key, rows.length);
      rows.push({ worker, lane });
    };
    for (const l of detail.lanes || []) for (let i = 0; i < Math.max(1, l.lanes || 0); i++) add(l.worker, i);
    const extra = (detail.jobs || []).filter((j) => !index.has(`${j.worker}\u0000${j.lane || 0}`));
    extra.sort((a, b) => String(a.worker).localeCompare(String(b.worker)) || (a.lane || 0) - (b.lane || 0));
    for (const j of extra) add(j.worker, j.lane || 0);
    return { rows, index };
  }

  function jobTooltip(job, end) {
    const lines = [
      `${job.stage_name || `stage ${job.stage}`} (stage ${job.stage})${job.platform ? ` · ${job.platform}` : ''}`,
      `${job.worker} · slot ${job.lane || 0}`,
      `${job.state} · ${Farm.fmtDuration(end - job.start_ms)}${job.end_ms ? '' : ' so far'}`,
    ];
    const steps = job.steps || [];
    if (steps.length) {
      const cached = steps.filter((s) => s.state === 'cached').length;
      lines.push(`${steps.length} step${steps.length === 1 ? '' : 's'}${cached ? `, ${cached} cached` : ''}`);
    }
    return lines.join('\n');
  }

  // Remembers, per svg, what a live tick needs.
  const states = new WeakMap();

  function render(svg, detail, now, availableWidth) {
    const build = detail.build || {};
    const jobs = detail.jobs || [];
    const running = build.state === 'running';
    const { rows, index } = rowsOf(detail);

    let t0 = build.started_ms || Infinity;
    let t1 = build.finished_ms || 0;
    for (const j of jobs) {
      if (j.start_ms) t0 = Math.min(t0, j.start_ms);
      t1 = Math.max(t1, j.end_ms || 0, j.start_ms || 0);
      for (const s of j.steps || []) t1 = Math.max(t1, s.end_ms || 0);
    }
    if (!Number.isFinite(t0)) t0 = now;
    if (running) t1 = Math.max(t1, now);
    const span = Math.max(1000, t1 - t0);
    // A running build gets 20% headroom so the axis is not redrawn each tick.
    const domain = running ? span * 1.2 + 2000 : span;
    const plotW = Math.max(MIN_PLOT_W, Math.floor((availableWidth || 900) - LABEL_W - PAD_R));
    const k = plotW / domain;
    const x = (t) => LABEL_W + Math.max(0, t - t0) * k;
    const width = LABEL_W + plotW + PAD_R;
    const height = jobs.length || rows.length ? AXIS_H + Math.max(1, rows.length) * ROW_H + 8 : AXIS_H + 6;

    const parts = [];
    // Row bands and labels; a line between workers groups their slots.
    rows.forEach((r, i) => {
      const y = AXIS_H + i * ROW_H;
      parts.push(`<rect class="row-band${i % 2 ? ' odd' : ''}" x="0" y="${y}" width="${width}" height="${ROW_H}"></rect>`);
      if (i > 0 && rows[i - 1].worker !== r.worker) {
        parts.push(`<line class="worker-sep" x1="0" x2="${width}" y1="${y}" y2="${y}"></line>`);
      }
      parts.push(`<text class="lane-label" x="8" y="${y + ROW_H / 2 + 4}">${esc(`${r.worker} · slot ${r.lane}`)}</text>`);
    });
    // Time axis with grid lines (none when there is nothing to place on it).
    const step = tickStep(domain, plotW);
    for (let t = 0; jobs.length && t <= domain; t += step) {
      const tx = LABEL_W + t * k;
      parts.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="${AXIS_H - 4}" y2="${height - 8}"></line>`);
      // The last label would be cut by the edge: end it at its tick instead.
      const end = tx + 40 > width;
      parts.push(`<text class="tick" x="${end ? tx - 3 : tx + 3}" y="${AXIS_H - 9}"${end ? ' text-anchor="end"' : ''}>${fmtOffset(t, step)}</text>`);
    }
    if (jobs.length) parts.push(`<line class="axis" x1="${LABEL_W}" x2="${width - PAD_R}" y1="${AXIS_H - 4}" y2="${AXIS_H - 4}"></line>`);

    // Job bars, each with its steps as thin bars along its bottom edge.
    for (const j of jobs) {
      const row = index.get(`${j.worker}\u0000${j.lane || 0}`);
      if (row === undefined || !j.start_ms) continue;
      // Only a running build has bars that grow to "now"; in a finished
      // one, a job or step left without an end stops where the build did.
      const stop = running ? now : build.finished_ms || t1;
      const live = running && !j.end_ms && j.state === 'running';
      const end = j.end_ms || Math.max(j.start_ms, stop);
      const y = AXIS_H + row * ROW_H + (ROW_H - BAR_H) / 2;
      const bx = x(j.start_ms);
      const bw = Math.max(2, (end - j.start_ms) * k);
      parts.push(
        `<g class="job-group">` +
          `<rect class="job state-${esc(j.state)}" data-stage-index="${esc(j.stage)}" data-worker="${esc(j.worker)}" ` +
          `data-lane="${esc(j.lane || 0)}" data-state="${esc(j.state)}" data-platform="${esc(j.platform || '')}" ` +
          `${live ? `data-live-start="${Number(j.start_ms)}" ` : ''}x="${bx}" y="${y}" width="${bw}" height="${BAR_H}" rx="3">` +
          `<title>${esc(jobTooltip(j, end))}</title></rect>`,
      );
      if (bw > 36) {
        const chars = Math.floor((bw - 8) / 6.5);
        const name = j.stage_name || `stage ${j.stage}`;
        const label = name.length > chars ? `${name.slice(0, Math.max(1, chars - 1))}…` : name;
        parts.push(`<text class="job-label" x="${bx + 5}" y="${y + 12}">${esc(label)}</text>`);
      }
      for (const s of j.steps || []) {
        if (!s.start_ms) continue;
        const sLive = live && !s.end_ms && s.state === 'running';
        const sEnd = Math.min(s.end_ms || Math.max(s.start_ms, stop), end);
        const sw = Math.max(1.5, (sEnd - s.start_ms) * k);
        parts.push(
          `<rect class="step state-${esc(s.state)}" data-instruction="${esc(s.instruction)}" ` +
            `${sLive ? `data-live-start="${Number(s.start_ms)}" ` : ''}x="${x(s.start_ms)}" y="${y + BAR_H - STEP_H - 1}" ` +
            `width="${sw}" height="${STEP_H}"><title>${esc(
              `${s.text || `instruction ${s.instruction}`}\n${s.state} · ${Farm.fmtDuration(sEnd - s.start_ms)}`,
            )}</title></rect>`,
        );
      }
      parts.push('</g>');
    }
    if (running) parts.push(`<line class="now" x1="${x(now)}" x2="${x(now)}" y1="${AXIS_H - 4}" y2="${height - 8}"></line>`);
    if (!jobs.length) {
      parts.push(`<text class="empty-label" x="${LABEL_W + 8}" y="${AXIS_H - 6}">${running ? 'no job has started yet' : 'no jobs ran (every stage was cached or none was needed)'}</text>`);
    }

    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.innerHTML = parts.join('');
    states.set(svg, { detail, t0, k, domainEnd: t0 + domain, running, availableWidth });
  }

  // Stretches running bars to `now`; redraws when now passes the axis.
  function tick(svg, now) {
    const st = states.get(svg);
    if (!st || !st.running) return;
    if (now > st.domainEnd) {
      render(svg, st.detail, now, st.availableWidth);
      return;
    }
    for (const el of svg.querySelectorAll('[data-live-start]')) {
      const start = Number(el.dataset.liveStart);
      el.setAttribute('width', Math.max(2, (now - start) * st.k));
    }
    const line = svg.querySelector('line.now');
    if (line) {
      const nx = LABEL_W + (now - st.t0) * st.k;
      line.setAttribute('x1', nx);
      line.setAttribute('x2', nx);
    }
  }

  Farm.timeline = { render, tick };
})();
