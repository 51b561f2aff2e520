// Swell's live page: polls the balancer's /status and /status/history with the cluster token and
// draws them. The token comes from the URL fragment (#token=...), which browsers never send to a
// server; it is kept in sessionStorage (this tab only) and sent only as a bearer header. Text from
// the balancer goes into the page as text, never as markup.
'use strict';
(function () {
  const TOKEN_KEY = 'swell.clusterToken';
  /** How often the page asks: the balancer samples its history once a second (every 5 s on postgres). */
  const POLL_MS = 1000;
  /** The rate tiles average this much history, so one lumpy second does not jump them. */
  const RATE_WINDOW_MS = 10000;
  const SERIES = ['pending', 'leased', 'completedUnpulled', 'failed', 'enqueuedPerSec', 'completedPerSec',
    'pulledPerSec', 'latencyP50Ms', 'latencyP90Ms', 'latencyP99Ms', 'latencyMaxMs'];

  const $ = (id) => document.getElementById(id);
  let token = null;
  let keptMs = 3600000;
  const samples = { t: [] };
  SERIES.forEach((k) => { samples[k] = []; });
  let charts = null;
  /** Each worker's completed count at the previous poll, for its rate when it reports no hash rate. */
  let lastWorkers = new Map();

  // ---- the token ---------------------------------------------------------------------------

  function takeToken() {
    const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      // Out of the address bar, the history and any screenshot of the page.
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function askForToken(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    $('board').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('token').focus();
  }

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('token').value.trim();
    if (value) {
      sessionStorage.setItem(TOKEN_KEY, value);
      $('token').value = '';
      start(value);
    }
  });

  async function api(path) {
    const r = await fetch(path, { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' });
    if (r.status === 401) {
      const e = new Error('the balancer refused the token');
      e.unauthorized = true;
      throw e;
    }
    if (!r.ok) {
      throw new Error(path + ' answered ' + r.status);
    }
    return r.json();
  }

  // ---- formatting --------------------------------------------------------------------------

  const count = (n) => (n == null ? '–' : Number(n).toLocaleString('en-US'));
  const rate = (n) => (n == null ? '–' : n >= 100 ? count(Math.round(n)) : Number(n).toFixed(1));

  function duration(ms) {
    if (ms == null) return '–';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    if (ms < 600000) return (ms / 60000).toFixed(1) + ' min';
    if (ms < 3600000) return Math.round(ms / 60000) + ' min';
    return (ms / 3600000).toFixed(1) + ' h';
  }

  function hashRate(h) {
    const units = ['H/s', 'kH/s', 'MH/s', 'GH/s'];
    let i = 0;
    while (h >= 1000 && i < units.length - 1) { h /= 1000; i++; }
    return h.toFixed(h < 10 ? 1 : 0) + ' ' + units[i];
  }

  const clock = (iso) => new Date(iso).toLocaleTimeString('en-GB');

  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (cls) td.className = cls;
    return td;
  }

  function row(cells, attrs) {
    const tr = document.createElement('tr');
    cells.forEach((c) => tr.appendChild(c));
    Object.entries(attrs || {}).forEach(([k, v]) => tr.setAttribute(k, v));
    return tr;
  }

  // ---- history and charts ------------------------------------------------------------------

  function append(h) {
    keptMs = h.keptMs;
    const s = h.series;
    for (let i = 0; i < s.t.length; i++) {
      samples.t.push(s.t[i]);
      SERIES.forEach((k) => samples[k].push(s[k][i]));
    }
    const oldest = Date.now() - keptMs;
    let drop = 0;
    while (drop < samples.t.length && samples.t[drop] < oldest) drop++;
    if (drop > 0) {
      samples.t.splice(0, drop);
      SERIES.forEach((k) => samples[k].splice(0, drop));
    }
  }

  function chart(el, series, spanGaps) {
    return new uPlot({
      width: el.clientWidth || 600,
      height: 220,
      ms: 1,
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [{}].concat(series.map(([label, colour]) => ({
        label, stroke: colour, width: 2, spanGaps, value: (u, v) => (v == null ? '–' : rate(v)),
      }))),
      axes: [{}, { size: 60 }],
    }, [[]].concat(series.map(() => [])), el);
  }

  function makeCharts() {
    charts = [
      [chart($('chart-queue'), [['pending', '#d9822b'], ['leased', '#2b6cd9'], ['completed, not pulled', '#2ba84a'],
        ['failed', '#c23030']], false), ['pending', 'leased', 'completedUnpulled', 'failed']],
      [chart($('chart-rates'), [['enqueued', '#2b6cd9'], ['completed', '#2ba84a'], ['pulled', '#8a8a8a']], false),
        ['enqueuedPerSec', 'completedPerSec', 'pulledPerSec']],
      [chart($('chart-latency'), [['p50', '#2ba84a'], ['p90', '#d9822b'], ['p99', '#c23030']], true),
        ['latencyP50Ms', 'latencyP90Ms', 'latencyP99Ms']],
    ];
    window.addEventListener('resize', () => charts.forEach(([u]) => {
      u.setSize({ width: u.root.parentElement.clientWidth, height: 220 });
    }));
  }

  function drawCharts() {
    const from = Date.now() - Number($('window').value);
    let i = 0;
    while (i < samples.t.length && samples.t[i] < from) i++;
    charts.forEach(([u, keys]) => {
      u.setData([samples.t.slice(i)].concat(keys.map((k) => samples[k].slice(i))));
    });
  }

  $('window').addEventListener('change', () => charts && drawCharts());

  // ---- status ------------------------------------------------------------------------------

  function showQueue(status, totals) {
    $('pending').textContent = count(status.pending);
    $('oldest').textContent = status.pending > 0 ? 'oldest waits ' + duration(status.oldestPendingAgeMs) : '';
    $('leased').textContent = count(status.leased);
    $('completed-unpulled').textContent = count(status.completedUnpulled);
    $('failed').textContent = count(status.failed);
    $('enqueued-total').textContent = count(totals.enqueued) + ' since start';
    $('completed-total').textContent = count(totals.completed) + ' since start';

    const n = samples.t.length;
    const from = n > 0 ? samples.t[n - 1] - RATE_WINDOW_MS : 0;
    const recent = (k) => {
      const v = [];
      for (let i = n - 1; i >= 0 && samples.t[i] > from; i--) v.push(samples[k][i]);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    $('enqueue-rate').textContent = rate(recent('enqueuedPerSec'));
    $('complete-rate').textContent = rate(recent('completedPerSec'));

    let last = n - 1;
    while (last >= 0 && samples.latencyP50Ms[last] == null) last--;
    if (last >= 0) {
      $('latency').textContent = [samples.latencyP50Ms[last], samples.latencyP90Ms[last], samples.latencyP99Ms[last]]
        .map(duration).join(' / ');
      $('latency-when').textContent = 'results at ' + new Date(samples.t[last]).toLocaleTimeString('en-GB');
    } else {
      $('latency').textContent = '–';
      $('latency-when').textContent = 'no result recorded in the last hour';
    }
  }

  function showWorkers(workers) {
    const now = Date.now();
    const seen = new Map();
    const rows = workers.map((w) => {
      seen.set(w.id, { completed: w.completed, at: now });
      const before = lastWorkers.get(w.id);
      let r = '–';
      const reported = w.stats || {};
      if (typeof reported.hashRate === 'number') {
        r = hashRate(reported.hashRate)
          + (typeof reported.busyFraction === 'number' ? ', ' + Math.round(reported.busyFraction * 100) + ' % busy' : '');
      } else if (before && now > before.at) {
        r = rate((w.completed - before.completed) * 1000 / (now - before.at)) + ' works/s';
      }
      return row([
        cell(w.id, 'id'), cell(w.state, 'state state-' + w.state), cell(w.managed ? 'yes' : 'no'),
        cell(w.threads || '–'), cell(r), cell(count(w.completed)), cell(duration(w.lastSeenMsAgo) + ' ago'),
        cell(duration(w.idleMs)), cell(clock(w.since)),
      ], { 'data-worker-id': w.id });
    });
    lastWorkers = seen;
    if (rows.length === 0) {
      const none = cell('No worker: the scaler launches one when work waits.', 'quiet');
      none.colSpan = 9;
      rows.push(row([none]));
    }
    $('workers').tBodies[0].replaceChildren(...rows);
    $('worker-count').textContent = workers.length === 1 ? '1 worker' : workers.length + ' workers';
  }

  function showScaler(s) {
    const lead = s.leads ? 'this balancer runs the scaler' : 'another balancer runs the scaler';
    const plan = s.plan && s.leads ? '; the planner wants ' + s.plan.desiredWorkers
      + (s.plan.desiredWorkers === 1 ? ' worker' : ' workers') + ' to drain the backlog within '
      + duration(s.plan.targetDrainMs) : '';
    $('scaler').textContent = 'fleet ' + s.fleet + ', ' + s.minWorkers + ' to ' + s.maxWorkers + ' workers; ' + lead
      + plan + (s.nextLaunchInMs > 0 ? '; next launch allowed in ' + duration(s.nextLaunchInMs) : '');
    const failures = $('launch-failures');
    if (s.launchesBlocked) {
      failures.textContent = 'Launches are blocked: ' + s.launchesBlockedReason;
    } else if (s.consecutiveLaunchFailures > 0) {
      failures.textContent = s.consecutiveLaunchFailures + ' launches failed in a row; last: ' + s.lastLaunchError;
    } else {
      failures.textContent = 'No launch failure.';
    }
    failures.className = s.launchesBlocked || s.consecutiveLaunchFailures > 0 ? 'problem' : 'quiet';
    const events = (s.recentEvents || []).map((e) => row([
      cell(clock(e.at)), cell(e.event, 'event event-' + e.event), cell(e.workerId || ''), cell(e.detail || ''),
    ]));
    if (events.length === 0) {
      const none = cell('No scaler event since this balancer started.', 'quiet');
      none.colSpan = 4;
      events.push(row([none]));
    }
    $('events').tBodies[0].replaceChildren(...events);
  }

  function showCluster(status) {
    const c = status.cluster;
    $('where').textContent = 'store ' + status.store.type + (c ? ', balancer ' + c.balancerId : '');
    if (!c) {
      $('leader').textContent = 'one balancer';
      $('cluster').hidden = true;
      return;
    }
    $('leader').textContent = c.leads ? 'this balancer leads' : 'leader: ' + (c.leader || 'none yet');
    $('cluster').hidden = false;
    $('balancers').tBodies[0].replaceChildren(...c.balancers.map((b) => row([
      cell(b.id, 'id'), cell(b.url), cell(duration(b.lastSeenMsAgo) + ' ago'), cell(b.leads ? 'leads' : 'serves'),
    ], b.leads ? { class: 'leader' } : {})));
  }

  function problem(text) {
    $('problem').hidden = !text;
    $('problem').textContent = text || '';
  }

  // ---- the loop ----------------------------------------------------------------------------

  let lastT = 0;
  let timer = null;

  async function poll() {
    timer = null;
    try {
      const [status, h] = await Promise.all([api('/status'), api('/status/history?since=' + lastT)]);
      append(h);
      if (samples.t.length) lastT = samples.t[samples.t.length - 1];
      showQueue(status, h.totals);
      showWorkers(status.workers || []);
      showScaler(status.scaling);
      showCluster(status);
      drawCharts();
      if (status.store.broken) {
        problem('The store broke: ' + status.store.broken);
      } else {
        problem(null);
      }
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString('en-GB');
    } catch (e) {
      if (e.unauthorized) {
        askForToken('The balancer refused that token.');
        return;
      }
      problem('Cannot read the balancer: ' + e.message);
    }
    timer = setTimeout(poll, POLL_MS);
  }

  function start(t) {
    token = t;
    $('login').hidden = true;
    $('board').hidden = false;
    if (!charts) makeCharts();
    if (timer) clearTimeout(timer);
    poll();
  }

  const kept = takeToken();
  if (kept) {
    start(kept);
  } else {
    askForToken('');
  }
})();
