// farm dashboard: one build (/builds/ID). The header, the stage graph, the
// timeline, the log and the Dockerfile. History comes from
// /api/builds/ID/events, live events from the SSE stream after it; events
// that change a stage's state trigger a re-fetch of the build detail (at
// most every 500 ms) to redraw the graph, timeline and header. The log is
// only ever appended to.
'use strict';

(() => {
  const Farm = (window.Farm = window.Farm || {});
  Farm.pages = Farm.pages || {};
  const { esc } = Farm;

  const REFETCH_MS = 500;
  const REFETCH_KINDS = new Set(['started', 'done', 'error', 'cached']);

  // ---------------------------------------------------------------------
  // Log lines, as the farm CLI's plain progress prints them:
  //   #3 [left 2/4] RUN make      (started)
  //   #3 <log line>               (log, one per line of the text)
  //   #3 CACHED / #3 DONE 0.4s / #3 ERROR: message
  // ---------------------------------------------------------------------

  function stepLabel(ev) {
    let stage = /^\d+$/.test(ev.stage_name || '') ? `stage-${ev.stage_name}` : ev.stage_name || '';
    if (ev.platform) stage = `${ev.platform}${stage ? ` ${stage}` : ''}`;
    let prefix = '';
    if (ev.instruction_count > 0) {
      prefix = `[${stage}${stage ? ' ' : ''}${(ev.instruction || 0) + 1}/${ev.instruction_count}]`;
    } else if (ev.stage_name) {
      prefix = `[${ev.stage_name}]`;
    }
    const text = ev.text || '';
    return prefix && text ? `${prefix} ${text}` : prefix || text;
  }

  function splitLines(text) {
    const s = String(text || '');
    const lines = (s.endsWith('\n') ? s.slice(0, -1) : s).split('\n');
    return lines.map(Farm.cleanLine);
  }

  // -> [[lineText, cssClass], ...]
  function eventLines(ev) {
    const prefix = ev.step ? `#${ev.step} ` : '';
    switch (ev.kind) {
      case 'started':
        return [[`${prefix}${stepLabel(ev)}`, 'ev-started']];
      case 'cached':
        return [[`${prefix}CACHED`, 'ev-cached']];
      case 'done':
        return [[`${prefix}DONE ${((ev.duration_ms || 0) / 1000).toFixed(1)}s`, 'ev-done']];
      case 'error':
        return splitLines(ev.text || 'failed').map((l, i) => [`${prefix}${i === 0 ? 'ERROR: ' : ''}${l}`, 'ev-error']);
      case 'warning':
        return splitLines(ev.text).map((l) => [`${prefix}WARNING: ${l}`, 'ev-warning']);
      case 'log':
        if (!ev.text) return [];
        return splitLines(ev.text).map((l) => [`${prefix}${l}`, ev.stream === 2 ? 'stderr' : '']);
      default: // info and kinds this page does not know yet
        return ev.text ? splitLines(ev.text).map((l) => [`${prefix}${l}`, 'ev-info']) : [];
    }
  }

  // ---------------------------------------------------------------------
  // The page.
  // ---------------------------------------------------------------------

  Farm.pages.build = async (ctx) => {
    const id = ctx.params[0];
    const api = `/api/builds/${encodeURIComponent(id)}`;
    document.title = `${id} · farm`;
    ctx.root.innerHTML = `
      <div class="build-head">
        <div class="title-row">
          <h1>Build <span id="build-id">${esc(id)}</span></h1>
          <span id="build-state" class="badge">…</span>
          <span class="spacer"></span>
          <span id="cancel-msg" class="muted"></span>
          <button id="cancel" type="button" class="danger" hidden>Cancel build</button>
        </div>
        <div id="build-meta" class="meta"></div>
        <div class="meta">Context: <span id="context-bytes"></span></div>
      </div>
      <div id="failure" class="failure" role="alert" hidden></div>
      <div id="build-error"></div>
      <section class="card">
        <h2>Stages <span class="muted hint">click a stage to mark its lines in the Dockerfile</span></h2>
        <div class="scroll graph-wrap"><svg id="stage-graph" xmlns="http://www.w3.org/2000/svg"></svg></div>
      </section>
      <section class="card">
        <h2>Timeline <span class="muted hint">one row per worker slot</span></h2>
        <div class="scroll timeline-wrap"><svg id="timeline" xmlns="http://www.w3.org/2000/svg"></svg></div>
      </section>
      <div class="two-col">
        <section class="card log-card">
          <h2>Log <label class="muted hint follow"><input id="log-follow" type="checkbox" checked> follow</label></h2>
          <pre id="log" class="log"></pre>
        </section>
        <section class="card">
          <h2>Dockerfile <span id="dockerfile-name" class="muted hint"></span></h2>
          <div id="dockerfile" class="code"></div>
        </section>
      </div>`;
    const $ = (sel) => ctx.root.querySelector(sel);
    const el = {
      state: $('#build-state'),
      meta: $('#build-meta'),
      context: $('#context-bytes'),
      cancel: $('#cancel'),
      cancelMsg: $('#cancel-msg'),
      failure: $('#failure'),
      error: $('#build-error'),
      graph: $('#stage-graph'),
      graphWrap: $('.graph-wrap'),
      timeline: $('#timeline'),
      timelineWrap: $('.timeline-wrap'),
      log: $('#log'),
      follow: $('#log-follow'),
      dockerfile: $('#dockerfile'),
      dockerfileName: $('#dockerfile-name'),
    };

    let detail = null;
    let recv = 0; // local time `detail` arrived, to age its durations
    let lastSeq = 0;
    let ended = false;
    let failureShown = null; // the line last scrolled to

    // The server's "now": a running build's duration is measured on the
    // server's clock, so started + duration + local time since is too.
    const serverNow = () => {
      const b = detail && detail.build;
      if (b && b.state === 'running' && b.started_ms) return b.started_ms + (b.duration_ms || 0) + (Date.now() - recv);
      return Farm.serverNow();
    };

    // --- header -------------------------------------------------------

    function drawHeader() {
      const b = detail.build;
      el.state.textContent = b.state;
      el.state.className = `badge state-${b.state}`;
      el.state.title = b.error || '';
      const duration = b.state === 'running' ? (b.duration_ms || 0) + (Date.now() - recv) : b.duration_ms;
      const tags = (b.tags || []).map((t) => `<span class="tag">${esc(t)}</span>`).join(' ') || '<span class="muted">no tags</span>';
      el.meta.innerHTML =
        `${tags}` +
        (b.target ? `<span class="target">→ ${esc(b.target)}</span>` : '') +
        `<span class="sep">·</span><span title="client">${esc(b.client)}</span>` +
        `<span class="sep">·</span><span title="tenant">tenant ${esc(b.tenant)}</span>` +
        `<span class="sep">·</span><span title="${esc(Farm.fmtFullTime(b.started_ms))}">started ${esc(Farm.fmtTime(b.started_ms))}</span>` +
        `<span class="sep">·</span><span id="build-duration">${esc(Farm.fmtDuration(duration))}</span>` +
        `<span class="sep">·</span>${esc(b.stages)} stages, ${esc(b.jobs_dispatched)} jobs` +
        `<span class="sep">·</span>${b.steps ? `${esc(b.steps_cached)}/${esc(b.steps)} steps cached (${esc(Farm.fmtPct(b.cache_hit_ratio))})` : 'no steps yet'}`;
      const c = detail.context || {};
      el.context.textContent = `uploaded ${Farm.fmtBytes(c.uploaded_bytes)}, skipped ${Farm.fmtBytes(c.skipped_bytes)}`;
      el.context.title = `${Farm.fmtCount(c.uploaded_bytes)} bytes uploaded, ${Farm.fmtCount(c.skipped_bytes)} bytes already on the farm`;
      el.cancel.hidden = b.state !== 'running';
      if (b.state !== 'running') el.cancelMsg.textContent = '';
    }

    function tickHeader() {
      const d = $('#build-duration');
      if (d && detail && detail.build.state === 'running') {
        d.textContent = Farm.fmtDuration((detail.build.duration_ms || 0) + (Date.now() - recv));
      }
    }

    // --- failure --------------------------------------------------------

    function stageName(platform, index) {
      for (const p of detail.platforms || []) {
        if ((p.platform || '') !== (platform || '')) continue;
        const s = (p.stages || []).find((x) => x.index === index);
        if (s) return s.name || `stage ${s.index}`;
      }
      return `stage ${index}`;
    }

    // The line to mark: failure.line, or for a Dockerfile error reported
    // only in build.error, the "Dockerfile:LINE" it names.
    function failingLine() {
      const f = detail.failure;
      if (f && f.line) return f.line;
      const name = (detail.dockerfile && detail.dockerfile.name) || 'Dockerfile';
      const escName = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const m = new RegExp(`(?:${escName}|Dockerfile):(\\d+)`).exec(detail.build.error || '');
      return m ? Number(m[1]) : 0;
    }

    function drawFailure() {
      const f = detail.failure;
      const b = detail.build;
      if (f) {
        const where = [
          f.platform ? `platform ${f.platform}` : '',
          `stage ${stageName(f.platform, f.stage)}`,
          f.line ? `Dockerfile line ${f.line}` : '',
        ].filter(Boolean);
        el.failure.innerHTML = `<div class="failure-where">Failed in ${esc(where.join(', '))}</div><pre class="failure-message">${esc(f.message)}</pre>`;
        el.failure.hidden = false;
      } else if (b.error && (b.state === 'failed' || b.state === 'cancelled')) {
        // Errors before any stage ran (a bad Dockerfile, say) have no
        // failure object; the build's own error says what went wrong.
        el.failure.innerHTML = `<div class="failure-where">${b.state === 'cancelled' ? 'Cancelled' : 'Failed'}</div><pre class="failure-message">${esc(b.error)}</pre>`;
        el.failure.hidden = false;
      } else {
        el.failure.hidden = true;
        el.failure.innerHTML = '';
      }
    }

    // --- Dockerfile -----------------------------------------------------

    function drawDockerfile() {
      const df = detail.dockerfile || { name: 'Dockerfile', text: '' };
      if (el.dockerfile.dataset.text !== df.text) {
        el.dockerfile.dataset.text = df.text || '';
        el.dockerfileName.textContent = df.name || '';
        const text = df.text || '';
        const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
        el.dockerfile.innerHTML = lines
          .map((l, i) => `<div class="line" data-line="${i + 1}"><span class="ln">${i + 1}</span><span class="src">${esc(l.replace(/\r$/, '')) || ' '}</span></div>`)
          .join('');
        failureShown = null;
      }
      const line = failingLine();
      for (const old of el.dockerfile.querySelectorAll('.line.failing')) {
        if (Number(old.dataset.line) !== line) old.classList.remove('failing');
      }
      const target = line ? el.dockerfile.querySelector(`.line[data-line="${line}"]`) : null;
      if (target) {
        target.classList.add('failing');
        // Scroll once per failure, and only the Dockerfile box, so the page
        // itself does not jump while someone reads it.
        if (failureShown !== line) {
          failureShown = line;
          scrollWithin(el.dockerfile, target);
        }
      }
    }

    function scrollWithin(box, target) {
      box.scrollTop = Math.max(0, target.offsetTop - box.clientHeight / 3);
    }

    // Clicking a stage marks its lines in the Dockerfile.
    function selectStage(platform, index) {
      Farm.graph.select(el.graph, platform, index);
      for (const l of el.dockerfile.querySelectorAll('.line.in-stage')) l.classList.remove('in-stage');
      const p = (detail.platforms || []).find((x) => (x.platform || '') === platform);
      const s = p && (p.stages || []).find((x) => x.index === index);
      if (!s) return;
      const lines = new Set([s.from_line, ...(s.instructions || []).map((i) => i.line)]);
      let first = null;
      for (const n of lines) {
        const l = el.dockerfile.querySelector(`.line[data-line="${n}"]`);
        if (!l) continue;
        l.classList.add('in-stage');
        if (!first || n < Number(first.dataset.line)) first = l;
      }
      if (first) scrollWithin(el.dockerfile, first);
    }
    el.graph.addEventListener('click', (event) => {
      const g = event.target.closest('g.stage');
      if (g && detail) selectStage(g.dataset.platform || '', Number(g.dataset.stageIndex));
    });
    el.graph.addEventListener('keydown', (event) => {
      const g = event.target.closest('g.stage');
      if (g && detail && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        selectStage(g.dataset.platform || '', Number(g.dataset.stageIndex));
      }
    });

    // --- drawing the detail ---------------------------------------------

    let revealed = false;
    function draw() {
      drawHeader();
      drawFailure();
      Farm.graph.render(el.graph, detail.platforms, serverNow());
      // Once: bring the first failed (else running) stage into view.
      if (!revealed) {
        revealed = Farm.graph.reveal(el.graph, el.graphWrap, 'g.stage[data-state="failed"]') ||
          Farm.graph.reveal(el.graph, el.graphWrap, 'g.stage[data-state="running"]');
      }
      Farm.timeline.render(el.timeline, detail, serverNow(), el.timelineWrap.clientWidth);
      drawDockerfile();
    }

    async function fetchDetail() {
      const d = await Farm.api(api);
      if (!ctx.alive()) return;
      detail = d;
      recv = Date.now();
      draw();
      if (d.build.state !== 'running') ended = true;
    }

    // At most one fetch every REFETCH_MS and never two at once; asks made
    // meanwhile fold into one more fetch after the current one.
    let lastFetch = 0;
    let timer = 0;
    let inflight = false;
    let again = false;
    function refetchSoon() {
      if (!ctx.alive() || timer) return;
      if (inflight) {
        again = true;
        return;
      }
      timer = ctx.after(async () => {
        timer = 0;
        inflight = true;
        lastFetch = Date.now();
        try {
          await fetchDetail();
        } catch (err) {
          if (err.status !== 401) console.warn('build refresh failed', err);
        } finally {
          inflight = false;
          if (again) {
            again = false;
            refetchSoon();
          }
        }
      }, Math.max(0, lastFetch + REFETCH_MS - Date.now()));
    }

    // --- log ------------------------------------------------------------

    // Lines wait in `pending` and are appended once per frame, as text
    // nodes (never HTML), so a chatty build does not reflow per line.
    let pending = [];
    const flushLog = Farm.frameThrottle(() => {
      if (!pending.length) return;
      const frag = document.createDocumentFragment();
      let run = [];
      let runClass = null;
      const flushRun = () => {
        if (!run.length) return;
        const text = `${run.join('\n')}\n`;
        if (runClass) {
          const span = document.createElement('span');
          span.className = runClass;
          span.textContent = text;
          frag.appendChild(span);
        } else {
          frag.appendChild(document.createTextNode(text));
        }
        run = [];
      };
      for (const [line, cls] of pending) {
        if (cls !== runClass) {
          flushRun();
          runClass = cls;
        }
        run.push(line);
      }
      flushRun();
      pending = [];
      el.log.appendChild(frag);
      if (el.follow.checked) el.log.scrollTop = el.log.scrollHeight;
    });
    ctx.onLeave(() => flushLog.cancel());
    // Scrolling up to read stops following; back at the bottom resumes.
    el.log.addEventListener('scroll', () => {
      const atBottom = el.log.scrollTop + el.log.clientHeight >= el.log.scrollHeight - 4;
      el.follow.checked = atBottom;
    });
    el.follow.addEventListener('change', () => {
      if (el.follow.checked) el.log.scrollTop = el.log.scrollHeight;
    });

    function takeEvent(ev) {
      if (!ev || typeof ev.seq !== 'number' || ev.seq <= lastSeq) return false;
      lastSeq = ev.seq;
      const lines = eventLines(ev);
      if (lines.length) {
        pending.push(...lines);
        flushLog();
      }
      return REFETCH_KINDS.has(ev.kind);
    }

    async function loadHistory() {
      // Pages until the answer is empty or reaches the last sequence it
      // reported; the server may cap how many events one answer holds.
      for (let page = 0; page < 10000 && ctx.alive(); page++) {
        const data = await Farm.api(`${api}/events?after=${lastSeq}`);
        if (!ctx.alive()) return;
        const events = data.events || [];
        for (const ev of events) takeEvent(ev);
        if (!events.length || data.done || lastSeq >= (data.last_sequence || 0)) return;
      }
    }

    // --- live stream ----------------------------------------------------

    function connect() {
      if (!ctx.alive() || ended) return;
      const es = ctx.source(`${api}/stream?after=${lastSeq}`);
      es.addEventListener('build-event', (event) => {
        let ev;
        try {
          ev = JSON.parse(event.data);
        } catch (err) {
          return;
        }
        if (takeEvent(ev)) refetchSoon();
      });
      es.addEventListener('build-end', (event) => {
        ended = true;
        es.close();
        try {
          const body = JSON.parse(event.data);
          if (body && body.build && detail) {
            detail.build = body.build;
            recv = Date.now();
            drawHeader();
          }
        } catch (err) {
          /* the re-fetch below brings the final state anyway */
        }
        refetchSoon();
      });
      // The browser would reconnect with the original ?after=; reconnect
      // ourselves from the last event seen instead.
      es.addEventListener('error', () => {
        es.close();
        if (!ctx.alive() || ended) return;
        Farm.api('/api/whoami').then(
          () => {
            refetchSoon();
            ctx.after(connect, 2000);
          },
          (err) => err.status !== 401 && ctx.after(connect, 5000),
        );
      });
    }

    // --- cancel ---------------------------------------------------------

    el.cancel.addEventListener('click', async () => {
      el.cancel.disabled = true;
      el.cancelMsg.textContent = 'cancelling…';
      try {
        await Farm.api(`${api}/cancel`, { method: 'POST' });
        el.cancelMsg.textContent = 'cancelling…';
      } catch (err) {
        el.cancelMsg.textContent = err.status === 409 ? 'the build has already finished' : `cannot cancel: ${err.message}`;
      } finally {
        el.cancel.disabled = false;
        refetchSoon();
      }
    });

    // --- start ----------------------------------------------------------

    try {
      await fetchDetail();
    } catch (err) {
      if (err.status === 404) ctx.fail(new Error(`no build ${id} (it may belong to another tenant)`));
      else ctx.fail(err);
      return;
    }
    lastFetch = Date.now();
    try {
      await loadHistory();
    } catch (err) {
      if (err.status !== 401 && ctx.alive()) el.error.innerHTML = Farm.errorHtml(`cannot load the log: ${err.message}`);
    }
    if (!ctx.alive()) return;
    // A build that finished before we looked has nothing more to stream.
    if (detail.build.state === 'running') {
      ended = false;
      connect();
    }
    // Live growth of running bars and durations between re-fetches, and a
    // slow poll in case the stream is held up by a proxy.
    ctx.every(() => {
      if (!detail || detail.build.state !== 'running') return;
      tickHeader();
      Farm.timeline.tick(el.timeline, serverNow());
    }, 1000);
    ctx.every(() => {
      if (detail && detail.build.state === 'running') refetchSoon();
    }, 5000);
    // The timeline fits the page's width; follow the window's.
    let resizeTimer = 0;
    const onResize = () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (ctx.alive() && detail) Farm.timeline.render(el.timeline, detail, serverNow(), el.timelineWrap.clientWidth);
      }, 150);
    };
    window.addEventListener('resize', onResize);
    ctx.onLeave(() => {
      window.removeEventListener('resize', onResize);
      clearTimeout(resizeTimer);
    });
  };
})();
