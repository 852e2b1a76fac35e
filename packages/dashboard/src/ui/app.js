// The dashboard page: hash routes, JSON from the API, live updates from one EventSource.
// Plain DOM and template strings: the page needs no framework, and every value is escaped.
(() => {
  const base = document.body.dataset.base;
  const main = document.getElementById('main');
  const liveBadge = document.getElementById('live');
  // the server puts the first screen's data in the page: the list shows without waiting for the API
  const boot = JSON.parse(document.getElementById('boot')?.textContent || 'null');
  let overview = null;
  let view = null; // { name, refresh(), onSagas(list), onBreakers(list), onStreams(list) }
  // bumped on every navigation: a render of a view no longer shown (a late answer, a live update
  // already scheduled) must not paint over the current one
  let generation = 0;

  const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  const badge = (status) =>
    `<span class="badge s-${esc(status)}" data-status="${esc(status)}">${esc(status)}</span>`;
  const time = (ms) => (ms ? new Date(ms).toLocaleTimeString([], { hour12: false }) : '');
  const dateTime = (ms) => (ms ? new Date(ms).toLocaleString([], { hour12: false }) : '');
  const duration = (from, to) => (from && to ? `${Math.max(0, to - from)} ms` : '');
  const json = (value) => `<pre>${esc(JSON.stringify(value, null, 2))}</pre>`;
  const percent = (value) => `${Number(value ?? 0).toFixed(1)}%`;

  async function api(path, params = {}) {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
    const response = await fetch(`${base}/api/${path}${query.size ? `?${query}` : ''}`, {
      headers: { accept: 'application/json' },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.message ?? `${response.status} ${response.statusText}`);
    return body;
  }

  async function act(path, params) {
    const response = await fetch(`${base}/api/actions/${path}?${new URLSearchParams(params)}`, {
      method: 'POST',
      headers: { 'x-sagaline-dashboard': 'action' },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.message ?? `${response.status}`);
    return body;
  }

  function route() {
    const [path, search = ''] = location.hash.replace(/^#/, '').split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    return { parts, params: Object.fromEntries(new URLSearchParams(search)) };
  }

  const link = (path, params) => {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
    return `#/${path}${query.size ? `?${query}` : ''}`;
  };

  function showError(error) {
    main.innerHTML = `<div class="notice" data-error>${esc(error.message)}</div>`;
  }

  /**
   * Runs `fn` once, `ms` after the first of a burst of calls: the calls until then add nothing, as
   * `fn` reads the latest data anyway (live updates come in bursts). Not at all once its view is left.
   */
  function coalesce(fn, ms) {
    const born = generation;
    let timer = null;
    return () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        if (born !== generation) return;
        Promise.resolve(fn()).catch((error) => born === generation && showError(error));
      }, ms);
    };
  }

  // ---- sagas -------------------------------------------------------------------------------

  function sagaList(params) {
    const born = generation;
    const render = async () => {
      const fromBoot = boot?.sagas && Object.keys(params).length === 0;
      const page = fromBoot ? boot.sagas : await api('sagas', params);
      const statuses = [
        'running',
        'compensating',
        'completed',
        'compensated',
        'compensation_failed',
        'cancelled',
        'stalled',
        'failed',
      ];
      const all = Object.values(page.counts).reduce((a, b) => a + b, 0);
      const tab = (status, label, count) =>
        `<a href="${link('sagas', { ...params, status, page: undefined })}" class="${(params.status ?? '') === (status ?? '') ? 'active' : ''}">${esc(label)} <span class="muted">${count}</span></a>`;
      if (born !== generation) return;
      main.innerHTML = `
        <h1>Sagas</h1>
        <div class="bar tabs">${tab(undefined, 'all', all)}${statuses
          .filter((status) => page.counts[status])
          .map((status) => tab(status, status, page.counts[status]))
          .join('')}</div>
        <form class="bar" id="filter">
          <select name="sagaId"><option value="">every saga</option>${overview.sagaIds
            .map((id) => `<option ${id === params.sagaId ? 'selected' : ''}>${esc(id)}</option>`)
            .join('')}</select>
          <input name="q" placeholder="business key or run id" value="${esc(params.q ?? '')}">
          <button>Filter</button>
        </form>
        <table id="sagas"><thead><tr><th>Run</th><th>Saga</th><th>Business key</th><th>Status</th><th>Step</th><th>Started</th><th>Updated</th></tr></thead>
        <tbody>${page.items
          .map(
            (saga) => `<tr data-run="${esc(saga.runId)}">
              <td><a class="mono" href="#/saga/${encodeURIComponent(saga.runId)}">${esc(saga.runId)}</a></td>
              <td>${esc(saga.sagaId)}</td><td class="mono">${esc(saga.businessKey ?? '')}</td>
              <td>${badge(saga.status)}</td><td>${esc(saga.step ?? '')}</td>
              <td>${dateTime(saga.startedAt)}</td><td>${time(saga.updatedAt)}</td></tr>`,
          )
          .join('')}</tbody></table>
        ${page.items.length === 0 ? '<p class="muted">No saga matches.</p>' : ''}
        ${pager('sagas', params, page)}`;
      onFilter('sagas', { status: params.status });
    };
    return { name: 'sagas', refresh: render, onSagas: coalesce(render, 250) };
  }

  /** The filter form goes to the same list with its fields, keeping `kept` (the tab). */
  function onFilter(path, kept) {
    document.getElementById('filter').addEventListener('submit', (event) => {
      event.preventDefault();
      location.hash = link(path, { ...kept, ...Object.fromEntries(new FormData(event.target)) });
    });
  }

  function pager(path, params, page) {
    const pages = Math.max(1, Math.ceil(page.total / page.size));
    const go = (n) => link(path, { ...params, page: n });
    return `<div class="pager"><span class="muted">${page.total} in all · page ${page.page} of ${pages}</span>
      ${page.page > 1 ? `<a href="${go(page.page - 1)}">← newer</a>` : ''}
      ${page.page < pages ? `<a href="${go(page.page + 1)}">older →</a>` : ''}</div>`;
  }

  function sagaPage(runId) {
    const born = generation;
    const render = async () => {
      const saga = await api('saga', { runId });
      const { state } = saga;
      const stepRow = (step) => `<tr data-step="${esc(step.id)}" data-status="${esc(step.status)}">
          <td><strong>${esc(step.id)}</strong>${step.pivot ? '<span class="pill">pivot</span>' : ''}${step.group ? `<span class="pill">parallel: ${esc(step.group)}</span>` : ''}</td>
          <td>${badge(step.status)}</td><td>${esc(step.action ?? '')}</td><td>${step.attempts || ''}</td>
          <td>${time(step.startedAt)}</td><td>${duration(step.startedAt, step.endedAt)}</td>
          <td>${step.errors.map((error) => `<div class="error">${esc(error.name)}: ${esc(error.message)}</div>`).join('')}${step.waitsFor ? `<div class="muted">waits for ${esc(step.waitsFor)}</div>` : ''}</td></tr>`;
      if (born !== generation) return;
      main.innerHTML = `
        <h1>${esc(state.sagaId)} <span id="saga-status">${badge(state.status)}</span></h1>
        <dl class="card">
          <dt>Run</dt><dd class="mono">${esc(state.runId)} ${saga.run ? `· <a id="run-link" href="#/run/${encodeURIComponent(state.runId)}">its run (${esc(saga.run.status)})</a>` : ''}
            ${saga.runError ? `· <span class="error" id="run-error">${esc(saga.runError)}</span>` : ''}
            ${saga.companionRunId ? `· <a href="#/run/${encodeURIComponent(saga.companionRunId)}">cancellation run</a>` : ''}</dd>
          <dt>Business key</dt><dd class="mono">${esc(state.businessKey ?? '—')}</dd>
          <dt>Started</dt><dd>${dateTime(state.startedAt)}</dd>
          <dt>Updated</dt><dd>${dateTime(state.updatedAt)}</dd>
          <dt>Trigger</dt><dd><code>${esc(state.event.name)}</code></dd>
          ${state.failure ? `<dt>Failure</dt><dd class="error">${esc(state.failure.stepId)}: ${esc(state.failure.name)}: ${esc(state.failure.message)}</dd>` : ''}
        </dl>
        ${saga.cancellable ? '<p><button class="danger" id="cancel">Cancel this saga</button></p>' : ''}
        <h2>Steps</h2>
        <table id="steps"><thead><tr><th>Step</th><th>Status</th><th>Kind</th><th>Attempts</th><th>Started</th><th>Took</th><th>Errors and waits</th></tr></thead>
        <tbody>${saga.steps.map(stepRow).join('')}</tbody></table>
        ${saga.waits.length ? `<h2>Waiting now</h2><ul id="waits">${saga.waits.map((wait) => `<li>${esc(wait.kind)} <code>${esc(wait.name ?? '')}</code>${wait.event ? ` for event <code>${esc(wait.event)}</code>` : ''} until ${time(wait.until)}</li>`).join('')}</ul>` : ''}
        <h2>Compensations <span class="muted">(in the order they ran)</span></h2>
        ${saga.compensations.length ? `<ol id="compensations">${saga.compensations.map((step) => `<li data-step="${esc(step.id)}" data-status="${esc(step.status)}">${esc(step.id)} ${badge(step.status)} <span class="muted">${time(step.startedAt)} ${duration(step.startedAt, step.endedAt)}</span>${step.errors.map((error) => `<div class="error">${esc(error.message)}</div>`).join('')}</li>`).join('')}</ol>` : '<p class="muted" id="compensations-none">None.</p>'}
        <h2>Lifecycle</h2>
        <ul id="lifecycle">${saga.lifecycle.map((entry) => `<li>${time(entry.at)} · ${esc(entry.name)}</li>`).join('')}</ul>
        <h2>Events of its business key</h2>
        ${saga.businessKeyEvents.length ? `<table id="key-events"><thead><tr><th>At</th><th>Stream</th><th>Type</th><th>Data</th></tr></thead><tbody>${saga.businessKeyEvents.map((event) => `<tr><td>${esc(new Date(event.at).toLocaleTimeString([], { hour12: false }))}</td><td class="mono"><a href="#/stream/${encodeURIComponent(event.tenantId)}/${encodeURIComponent(event.streamId)}">${esc(event.streamId)}</a> v${event.version}</td><td><code>${esc(event.type)}</code></td><td>${json(event.data)}</td></tr>`).join('')}</tbody></table>` : '<p class="muted">None found.</p>'}
        <h2>Results</h2>${json(state.results)}`;
      document.getElementById('cancel')?.addEventListener('click', async () => {
        if (!confirm(`Cancel saga ${state.runId}? Its compensations will run.`)) return;
        try {
          await act('cancel-saga', { runId: state.runId });
        } catch (error) {
          alert(error.message);
        }
      });
    };
    const refresh = coalesce(render, 150);
    return {
      name: 'sagas',
      refresh: render,
      onSagas: (changed) => changed.some((saga) => saga.runId === runId) && refresh(),
    };
  }

  // ---- runs --------------------------------------------------------------------------------

  function runList(params) {
    const born = generation;
    const render = async () => {
      const page = await api('runs', params);
      const tab = (status) =>
        `<a href="${link('runs', { ...params, status, page: undefined })}" class="${(params.status ?? '') === (status ?? '') ? 'active' : ''}">${esc(status ?? 'all')}</a>`;
      if (born !== generation) return;
      main.innerHTML = `<h1>Runs</h1>
        <div class="bar tabs">${[undefined, 'running', 'completed', 'failed', 'cancelled'].map(tab).join('')}</div>
        <table id="runs"><thead><tr><th>Run</th><th>Function</th><th>Event</th><th>Status</th><th>Steps</th><th>Created</th><th>Took</th></tr></thead>
        <tbody>${page.items.map((run) => `<tr><td><a class="mono" href="#/run/${encodeURIComponent(run.id)}">${esc(run.id)}</a></td><td>${esc(run.functionId)}</td><td><code>${esc(run.eventName)}</code></td><td>${badge(run.status)}</td><td>${run.steps}${run.waiting ? ` <span class="pill">waiting</span>` : ''}</td><td>${dateTime(run.createdAt)}</td><td>${duration(run.createdAt, run.endedAt)}</td></tr>`).join('')}</tbody></table>
        ${pager('runs', params, page)}`;
    };
    return { name: 'runs', refresh: render, onSagas: coalesce(render, 500) };
  }

  function runPage(runId) {
    const born = generation;
    const render = async () => {
      const run = await api('run', { runId });
      if (born !== generation) return;
      main.innerHTML = `<h1>Run <span class="mono">${esc(run.id)}</span> ${badge(run.status)}</h1>
        <dl class="card"><dt>Function</dt><dd>${esc(run.functionId)}</dd><dt>Event</dt><dd><code>${esc(run.eventName)}</code></dd>
        <dt>Created</dt><dd>${dateTime(run.createdAt)}</dd><dt>Ended</dt><dd>${dateTime(run.endedAt)}</dd>
        ${run.sagaRunId ? `<dt>Saga</dt><dd><a href="#/saga/${encodeURIComponent(run.sagaRunId)}">the saga of this run</a></dd>` : ''}
        ${run.error ? `<dt>Error</dt><dd class="error">${esc(run.error.name)}: ${esc(run.error.message)}</dd>` : ''}</dl>
        <h2>Steps</h2><table id="run-steps"><thead><tr><th>Step</th><th>Kind</th><th>Attempts</th><th>Started</th><th>Took</th><th>Output or error</th></tr></thead>
        <tbody>${run.timeline.map((step) => `<tr><td class="mono">${esc(step.name)}</td><td>${esc(step.kind)}</td><td>${step.attempts}</td><td>${time(step.startedAt)}</td><td>${duration(step.startedAt, step.endedAt)}</td><td>${step.error ? `<div class="error">${esc(step.error.name)}: ${esc(step.error.message)}</div>` : json(step.output)}</td></tr>`).join('')}</tbody></table>
        ${run.pending.length ? `<h2>Waiting for</h2>${json(run.pending)}` : ''}
        <h2>Event</h2>${json(run.event)}<h2>Output</h2>${json(run.output ?? null)}`;
    };
    const refresh = coalesce(render, 300);
    return {
      name: 'runs',
      refresh: render,
      onSagas: (changed) => changed.some((saga) => saga.runId === runId) && refresh(),
    };
  }

  // ---- breakers ----------------------------------------------------------------------------

  function breakerPage() {
    const born = generation;
    let latest = null;
    // the server's clock minus the browser's: probe times are the server's, and the countdown must agree
    let clockOffset = 0;
    const draw = () => {
      const { items, actions } = latest;
      const card = (b) => {
        const probeIn = b.probeAt ? Math.max(0, b.probeAt - (Date.now() + clockOffset)) : 0;
        return `<div class="card breaker" data-breaker="${esc(b.name)}" data-state="${esc(b.state)}">
          <h3>${esc(b.name)} ${badge(b.state)}</h3>
          <dl><dt>Failure rate</dt><dd>${percent(b.stats.failureRate)}</dd><dt>Slow-call rate</dt><dd>${percent(b.stats.slowCallRate)}</dd>
          <dt>Window</dt><dd>${b.stats.calls} calls, ${b.stats.failures} failed, ${b.stats.slowCalls} slow</dd>
          <dt>Since start</dt><dd>${Object.entries(b.totals)
            .map(([k, v]) => `${esc(k)} ${v}`)
            .join(' · ')}</dd>
          ${b.openedAt ? `<dt>Opened</dt><dd>${time(b.openedAt)}</dd>` : ''}
          ${b.probeAt ? `<dt>Next probe</dt><dd data-probe-at="${b.probeAt}">${probeIn ? `in ${(probeIn / 1000).toFixed(1)} s` : 'now'} (${time(b.probeAt)})</dd>` : ''}
          ${b.degraded ? '<dt>Shared store</dt><dd class="error">unreachable: deciding locally</dd>' : ''}</dl>
          ${actions ? `<p class="bar"><button data-to="open">Force open</button><button data-to="closed">Force closed</button><button data-to="reset">Reset</button></p>` : ''}
        </div>`;
      };
      if (born !== generation) return;
      main.innerHTML = `<h1>Circuit breakers</h1>${items.length ? `<div class="grid" id="breakers">${items.map(card).join('')}</div>` : '<p class="muted">No breaker has been used yet.</p>'}`;
      for (const button of main.querySelectorAll('button[data-to]')) {
        button.addEventListener('click', async () => {
          try {
            await act('breaker', {
              name: button.closest('[data-breaker]').dataset.breaker,
              to: button.dataset.to,
            });
          } catch (error) {
            alert(error.message);
          }
        });
      }
    };
    const render = async () => {
      latest = await api('breakers');
      clockOffset = latest.now - Date.now();
      draw();
    };
    const ticker = setInterval(() => latest && main.querySelector('[data-probe-at]') && draw(), 1000);
    return {
      name: 'breakers',
      refresh: render,
      onBreakers: (items) => {
        if (!latest) return;
        latest = { ...latest, items };
        draw();
      },
      leave: () => clearInterval(ticker),
    };
  }

  // ---- event store -------------------------------------------------------------------------

  function streamList(params) {
    const born = generation;
    const render = async () => {
      const [page, subscriptions] = await Promise.all([api('streams', params), api('subscriptions')]);
      const chip = (category, count) =>
        `<a href="${link('streams', { ...params, category, page: undefined })}" class="${(params.category ?? '') === (category ?? '') ? 'active' : ''}">${esc(category ?? 'all')}${count === undefined ? '' : ` <span class="muted">${count}</span>`}</a>`;
      if (born !== generation) return;
      main.innerHTML = `<h1>Event store</h1>
        ${page.complete ? '' : '<p class="muted">Still reading the store: reload for more streams.</p>'}
        <div class="bar tabs" id="categories">${chip(undefined)}${Object.entries(page.categories)
          .sort()
          .map(([c, n]) => chip(c, n))
          .join('')}</div>
        <form class="bar" id="filter"><select name="tenantId"><option value="">every tenant</option>${page.tenants.map((t) => `<option ${t === params.tenantId ? 'selected' : ''}>${esc(t)}</option>`).join('')}</select>
          <input name="q" placeholder="stream id contains" value="${esc(params.q ?? '')}"><button>Filter</button></form>
        <table id="streams"><thead><tr><th>Stream</th><th>Tenant</th><th>Version</th><th>Last event</th><th>At</th></tr></thead>
        <tbody>${page.items.map((s) => `<tr><td class="mono"><a href="#/stream/${encodeURIComponent(s.tenantId)}/${encodeURIComponent(s.streamId)}">${esc(s.streamId)}</a></td><td>${esc(s.tenantId)}</td><td>${s.version}</td><td><code>${esc(s.lastType)}</code></td><td>${esc(new Date(s.lastAt).toLocaleString([], { hour12: false }))}</td></tr>`).join('')}</tbody></table>
        ${pager('streams', params, page)}
        <h2>Subscriptions in this process</h2>
        ${subscriptions.items.length ? `<table id="subscriptions"><thead><tr><th>Name</th><th>Checkpoint</th><th>Lag (events)</th><th>Last error</th></tr></thead><tbody>${subscriptions.items.map((s) => `<tr><td>${esc(s.name)}</td><td class="mono">${esc(s.checkpoint ?? 'none here yet')}</td><td>${s.lag === null ? 'unknown' : `${s.lag}${s.lagCapped ? '+' : ''}`}</td><td class="error">${esc(s.lastError ?? '')}</td></tr>`).join('')}</tbody></table>` : '<p class="muted">None.</p>'}`;
      onFilter('streams', { category: params.category });
    };
    return { name: 'streams', refresh: render, onStreams: coalesce(render, 500) };
  }

  function streamPage(tenantId, streamId) {
    const born = generation;
    const render = async () => {
      const stream = await api('stream', { streamId, tenantId });
      if (born !== generation) return;
      main.innerHTML = `<h1>Stream <span class="mono">${esc(streamId)}</span> <span class="muted">tenant ${esc(tenantId)} · version ${stream.version}</span></h1>
        ${stream.events.length < stream.version ? `<p class="muted" id="stream-partial">The last ${stream.events.length} of ${stream.version} events.</p>` : ''}
        <table id="stream-events"><thead><tr><th>Version</th><th>Type</th><th>At</th><th>Data</th><th>Metadata</th></tr></thead>
        <tbody>${stream.events.map((e) => `<tr><td>${e.version}</td><td><code>${esc(e.type)}</code></td><td>${esc(new Date(e.at).toLocaleString([], { hour12: false }))}</td><td>${json(e.data)}</td><td>${json(e.metadata)}</td></tr>`).join('')}</tbody></table>`;
    };
    const refresh = coalesce(render, 150);
    return {
      name: 'streams',
      refresh: render,
      onStreams: (appended) =>
        appended.some((s) => s.tenantId === tenantId && s.streamId === streamId) && refresh(),
    };
  }

  // ---- shell -------------------------------------------------------------------------------

  function viewFor({ parts, params }) {
    const [section, ...rest] = parts;
    if (section === 'saga' && rest[0]) return sagaPage(rest[0]);
    if (section === 'runs') return runList(params);
    if (section === 'run' && rest[0]) return runPage(rest[0]);
    if (section === 'breakers') return breakerPage();
    if (section === 'streams') return streamList(params);
    if (section === 'stream' && rest[1]) return streamPage(rest[0], rest.slice(1).join('/'));
    return sagaList(params);
  }

  async function show() {
    view?.leave?.();
    generation++;
    view = viewFor(route());
    for (const a of document.querySelectorAll('#nav a'))
      a.classList.toggle('active', a.dataset.section === view.name);
    const shown = generation;
    try {
      const rendered = view.refresh();
      // the page's embedded data is of the moment it was served: only the first view may use it
      if (boot) boot.sagas = null;
      await rendered;
    } catch (error) {
      if (shown === generation) showError(error);
    }
  }

  function connect() {
    const source = new EventSource(`${base}/api/live`);
    source.addEventListener('open', () => {
      liveBadge.dataset.live = 'on';
      liveBadge.textContent = 'live';
    });
    source.addEventListener('error', () => {
      liveBadge.dataset.live = 'off';
      liveBadge.textContent = 'reconnecting';
    });
    const safely = (fn) => (event) => {
      try {
        fn(JSON.parse(event.data));
      } catch (error) {
        showError(error);
      }
    };
    source.addEventListener(
      'sagas',
      safely((changed) => view?.onSagas?.(changed)),
    );
    source.addEventListener(
      'breakers',
      safely((items) => view?.onBreakers?.(items)),
    );
    source.addEventListener(
      'streams',
      safely((appended) => view?.onStreams?.(appended)),
    );
  }

  async function start() {
    try {
      overview = boot?.overview ?? (await api('overview'));
    } catch (error) {
      return showError(error);
    }
    for (const a of document.querySelectorAll('#nav a')) {
      const has = {
        sagas: overview.has.sagas,
        runs: overview.runList,
        breakers: overview.has.breakers,
        streams: overview.has.eventStore,
      };
      if (!has[a.dataset.section]) a.hidden = true;
    }
    window.addEventListener('hashchange', show);
    connect();
    await show();
  }

  void start();
})();
