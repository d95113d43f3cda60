// farm dashboard: the shared core (formatting, the API client, the router,
// the nav bar) and the login page. Each other page lives in its own file
// (builds.js, build.js, workers.js, cache.js) and registers itself in
// Farm.pages; graph.js and timeline.js draw the build page's two SVGs.
// No framework and no build step: every file is plain ES2020 served as is.
'use strict';

(() => {
  const Farm = (window.Farm = window.Farm || {});
  Farm.pages = Farm.pages || {};

  // ---------------------------------------------------------------------
  // Text helpers. Everything that comes from the API (tags, logs, build
  // errors, Dockerfiles) is untrusted, so every HTML string built from it
  // goes through esc(); attribute values too, hence the quotes.
  // ---------------------------------------------------------------------

  const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  Farm.esc = (value) =>
    String(value === null || value === undefined ? '' : value).replace(/[&<>"']/g, (c) => ESCAPES[c]);

  // Binary units, as the cache budget is configured ("1.2 GiB of 10 GiB").
  const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  Farm.fmtBytes = (bytes) => {
    let value = Number(bytes) || 0;
    if (value < 1024) return `${Math.max(0, Math.round(value))} B`;
    let unit = 0;
    while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    // One decimal below 100 keeps three significant digits at most, and
    // "10.0" reads worse than "10".
    const text = value >= 100 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
    return `${text} ${BYTE_UNITS[unit]}`;
  };

  // "0.4s", "12.3s", "2m 05s", "1h 02m": short enough for a table cell.
  Farm.fmtDuration = (ms) => {
    ms = Math.max(0, Number(ms) || 0);
    if (ms < 60000) return `${(ms / 1000).toFixed(1)}s`;
    const s = Math.floor(ms / 1000);
    if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
    return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  };

  // "3 s ago", "4 min ago", "2 h ago", "3 d ago".
  Farm.fmtAgo = (ms, now = Farm.serverNow()) => {
    if (!ms) return 'never';
    const s = Math.max(0, Math.round((now - ms) / 1000));
    if (s < 120) return `${s} s ago`;
    if (s < 7200) return `${Math.round(s / 60)} min ago`;
    if (s < 172800) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} d ago`;
  };

  const pad2 = (n) => String(n).padStart(2, '0');
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  // Local wall-clock time; the date only when it is not today.
  Farm.fmtTime = (ms) => {
    if (!ms) return '';
    const d = new Date(ms);
    const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
    const today = new Date();
    if (d.toDateString() === today.toDateString()) return time;
    return `${MONTHS[d.getMonth()]} ${d.getDate()} ${time}`;
  };
  Farm.fmtFullTime = (ms) => (ms ? new Date(ms).toLocaleString() : '');

  Farm.fmtPct = (ratio) =>
    ratio === null || ratio === undefined || Number.isNaN(Number(ratio)) ? '–' : `${Math.round(Number(ratio) * 100)}%`;

  Farm.fmtCount = (n) => (Number(n) || 0).toLocaleString('en-US');

  // "sha256:0123456789abcdef…" -> "0123456789ab", as docker prints ids.
  Farm.shortDigest = (digest) => {
    const s = String(digest || '');
    const hex = s.includes(':') ? s.slice(s.indexOf(':') + 1) : s;
    return hex.slice(0, 12);
  };

  // A state badge; the same state-* classes colour the graph and timeline.
  Farm.badge = (state, title = '') =>
    `<span class="badge state-${Farm.esc(state)}"${title ? ` title="${Farm.esc(title)}"` : ''}>${Farm.esc(state)}</span>`;

  // Strips what a terminal would interpret: a progress bar's carriage
  // returns keep only their last frame, ANSI escapes and controls go away.
  Farm.cleanLine = (line) => {
    let s = String(line);
    if (s.endsWith('\r')) s = s.slice(0, -1);
    const cr = s.lastIndexOf('\r');
    if (cr >= 0) s = s.slice(cr + 1);
    // eslint-disable-next-line no-control-regex
    return s.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/\x1b./g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  };

  // ---------------------------------------------------------------------
  // Clock. Durations of running things are computed against the server's
  // clock, estimated from the Date header of API answers, so a skewed
  // browser clock does not show negative or inflated times.
  // ---------------------------------------------------------------------

  let clockSkew = 0;
  Farm.serverNow = () => Date.now() + clockSkew;
  function noteServerDate(response) {
    const header = response.headers.get('Date');
    if (!header) return;
    const server = Date.parse(header);
    if (Number.isNaN(server)) return;
    // The header has one-second resolution: only correct real skew.
    const skew = server + 500 - Date.now();
    clockSkew = Math.abs(skew) > 2000 ? skew : 0;
  }

  // ---------------------------------------------------------------------
  // API client. A 401 anywhere sends the browser to the login page (once);
  // every other failure becomes an ApiError for the page to show.
  // ---------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }
  Farm.ApiError = ApiError;

  let redirecting = false;
  Farm.toLogin = () => {
    if (redirecting || location.pathname === '/login') return;
    redirecting = true;
    const path = location.pathname + location.search;
    location.assign('/login?next=' + encodeURIComponent(path));
  };

  Farm.api = async (path, { method = 'GET', body } = {}) => {
    const headers = { Accept: 'application/json' };
    // The server refuses a POST without this header (a CSRF guard).
    if (method !== 'GET') headers['X-Farm-Dashboard'] = '1';
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, `cannot reach the farm (${err.message})`);
    }
    noteServerDate(response);
    if (response.status === 401) {
      Farm.toLogin();
      throw new ApiError(401, 'not signed in');
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (err) {
        if (response.ok) throw new ApiError(response.status, 'the farm sent a malformed answer');
      }
    }
    if (!response.ok) {
      const message = data && typeof data.error === 'string' ? data.error : `${response.status} ${response.statusText}`;
      throw new ApiError(response.status, message);
    }
    return data;
  };

  // A box for errors shown in place of (or above) a page's content.
  Farm.errorHtml = (message) => `<div class="notice error" role="alert">${Farm.esc(message)}</div>`;

  // Calls fn at most once per animation frame however often it is asked
  // for. The timer fallback keeps pages updating in a background tab, where
  // browsers stop animation frames.
  Farm.frameThrottle = (fn) => {
    let pending = false;
    let raf = 0;
    let timer = 0;
    const run = () => {
      if (!pending) return;
      pending = false;
      cancelAnimationFrame(raf);
      clearTimeout(timer);
      fn();
    };
    const schedule = () => {
      if (pending) return;
      pending = true;
      raf = requestAnimationFrame(run);
      timer = setTimeout(run, 250);
    };
    schedule.cancel = () => {
      pending = false;
      cancelAnimationFrame(raf);
      clearTimeout(timer);
    };
    return schedule;
  };

  // ---------------------------------------------------------------------
  // Page lifecycle. Each page gets a context whose timers, EventSources
  // and clean-ups all end when the user navigates away, so a page left
  // behind never keeps polling or streaming.
  // ---------------------------------------------------------------------

  class PageContext {
    constructor(root, params, query) {
      this.root = root;
      this.params = params;
      this.query = query;
      this.live = true;
      this.cleanups = [];
    }
    alive() {
      return this.live;
    }
    onLeave(fn) {
      this.cleanups.push(fn);
    }
    every(fn, ms) {
      const id = setInterval(() => this.live && fn(), ms);
      this.onLeave(() => clearInterval(id));
      return id;
    }
    after(fn, ms) {
      const id = setTimeout(() => this.live && fn(), ms);
      this.onLeave(() => clearTimeout(id));
      return id;
    }
    // An EventSource closed when the page is left.
    source(url) {
      const es = new EventSource(url, { withCredentials: true });
      this.onLeave(() => es.close());
      return es;
    }
    leave() {
      this.live = false;
      for (const fn of this.cleanups.splice(0)) {
        try {
          fn();
        } catch (err) {
          console.warn('cleanup failed', err);
        }
      }
    }
    // Shows an error unless it is the 401 that is already redirecting.
    fail(err, where = this.root) {
      if (!this.live || (err && err.status === 401)) return;
      console.warn(err);
      where.innerHTML = Farm.errorHtml(err && err.message ? err.message : String(err));
    }
  }

  // ---------------------------------------------------------------------
  // Router: one render function per page, chosen by location.pathname.
  // In-app links go through history.pushState; the server answers every
  // page path with this same index.html, so reloads land on the same page.
  // ---------------------------------------------------------------------

  const ROUTES = [
    { re: /^\/(?:builds\/?)?$/, page: 'builds', nav: 'nav-builds', title: 'Builds' },
    { re: /^\/builds\/([^/]+)\/?$/, page: 'build', nav: 'nav-builds', title: 'Build' },
    { re: /^\/workers\/?$/, page: 'workers', nav: 'nav-workers', title: 'Workers' },
    { re: /^\/cache\/?$/, page: 'cache', nav: 'nav-cache', title: 'Cache' },
    { re: /^\/login\/?$/, page: 'login', nav: '', title: 'Sign in' },
  ];

  let current = null;

  function route() {
    if (current) current.leave();
    const root = document.getElementById('app');
    root.innerHTML = '';
    window.scrollTo(0, 0);
    const path = location.pathname;
    const match = ROUTES.map((r) => ({ r, m: r.re.exec(path) })).find((x) => x.m);
    for (const a of document.querySelectorAll('header.topbar nav a')) {
      a.classList.toggle('active', Boolean(match) && a.id === match.r.nav);
    }
    if (!match) {
      document.title = 'farm';
      root.innerHTML = Farm.errorHtml(`no page at ${path}`);
      current = null;
      return;
    }
    const params = match.m.slice(1).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch (err) {
        return p;
      }
    });
    const ctx = new PageContext(root, params, new URLSearchParams(location.search));
    current = ctx;
    document.title = `${match.r.title} · farm`;
    try {
      const result = Farm.pages[match.r.page](ctx);
      if (result && typeof result.catch === 'function') result.catch((err) => ctx.fail(err));
    } catch (err) {
      ctx.fail(err);
    }
  }

  Farm.navigate = (url, { replace = false } = {}) => {
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    route();
  };

  // Same-origin links to a page path are handled in the app; anything with
  // a modifier key, a target or a download keeps the browser's behaviour.
  function onLinkClick(event) {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const a = event.target.closest && event.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
    event.preventDefault();
    if (url.pathname + url.search === location.pathname + location.search) return;
    Farm.navigate(url.pathname + url.search + url.hash);
  }

  // ---------------------------------------------------------------------
  // Nav bar: who is signed in, and a logout button unless the farm is open
  // (an open farm has no identities, so there is nothing to log out of).
  // ---------------------------------------------------------------------

  async function loadWhoami() {
    const who = document.getElementById('whoami');
    const logout = document.getElementById('logout');
    try {
      const me = await Farm.api('/api/whoami');
      Farm.me = me;
      who.textContent = `${me.tenant} · ${me.role}`;
      who.title = me.open ? 'open farm: no identities are configured' : `signed in by ${me.source || 'unknown'}`;
      who.classList.toggle('open', Boolean(me.open));
      logout.hidden = Boolean(me.open);
    } catch (err) {
      who.textContent = err.status === 401 ? 'not signed in' : '';
      logout.hidden = true;
    }
  }

  async function logoutClicked() {
    try {
      await Farm.api('/api/logout', { method: 'POST' });
    } catch (err) {
      console.warn(err);
    }
    location.assign('/login');
  }

  // ---------------------------------------------------------------------
  // Login page: trades a token for a session cookie, then goes back to the
  // page that sent us here (only a local path, never another origin).
  // ---------------------------------------------------------------------

  function safeNext(next) {
    if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/builds';
    if (next.startsWith('/login')) return '/builds';
    return next;
  }

  Farm.pages.login = (ctx) => {
    ctx.root.innerHTML = `
      <section class="card login-card">
        <h1>Sign in to the farm</h1>
        <p class="muted">Paste a farm token (one of the lines of the farm's token file).</p>
        <form id="login-form" autocomplete="off">
          <label for="token">Token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" spellcheck="false">
          <button id="login" type="submit" class="primary">Sign in</button>
          <p id="login-error" class="error-text" role="alert" hidden></p>
        </form>
      </section>`;
    const form = ctx.root.querySelector('#login-form');
    const input = ctx.root.querySelector('#token');
    const button = ctx.root.querySelector('#login');
    const error = ctx.root.querySelector('#login-error');
    const showError = (message) => {
      error.textContent = message;
      error.hidden = false;
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) {
        showError('enter a token');
        return;
      }
      button.disabled = true;
      error.hidden = true;
      try {
        // Not Farm.api: a 401 here means a bad token, not "go to login".
        const response = await fetch('/api/login', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-Farm-Dashboard': '1' },
          body: JSON.stringify({ token }),
        });
        if (response.status === 204 || response.ok) {
          // A full load, so the nav bar and every page see the new session.
          location.assign(safeNext(ctx.query.get('next')));
          return;
        }
        let message = response.status === 401 ? 'that token is not valid' : `login failed (${response.status})`;
        try {
          const body = await response.json();
          if (body && body.error) message = body.error;
        } catch (err) {
          /* keep the generic message */
        }
        showError(message);
      } catch (err) {
        showError(`cannot reach the farm (${err.message})`);
      } finally {
        button.disabled = false;
      }
    });
    input.focus();
  };

  // ---------------------------------------------------------------------
  // Boot, at DOMContentLoaded: the page files loaded after this one have
  // registered by then (deferred scripts all run before it fires).
  // ---------------------------------------------------------------------

  function boot() {
    document.addEventListener('click', onLinkClick);
    window.addEventListener('popstate', route);
    document.getElementById('logout').addEventListener('click', logoutClicked);
    if (location.pathname === '/') history.replaceState(null, '', '/builds' + location.search);
    // On the login page nobody is signed in yet: asking would only 401.
    if (location.pathname !== '/login') loadWhoami();
    else document.getElementById('whoami').textContent = 'not signed in';
    route();
  }

  // Deferred scripts run while readyState is already 'interactive', so
  // only 'complete' means DOMContentLoaded has passed.
  if (document.readyState === 'complete') boot();
  else document.addEventListener('DOMContentLoaded', boot);
})();
