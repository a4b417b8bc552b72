// The status page: polls GET sync/status and drives the imports through the service's own API.
// Paths are relative, so the page works behind a path prefix too. Server text is only ever set as
// textContent, never parsed as HTML.
'use strict';

(() => {
  const types = ['customers', 'orders', 'categories', 'products'];
  /** The only thing the page keeps: the API key, for this tab's session. */
  const keyItem = 'bulk-import-api-key';
  const runningPollMs = 1_500;
  const idlePollMs = 15_000;
  const shownFailures = 10;
  /** What each button sends: a path under sync/<type> and a body. */
  const actions = {
    start: { path: '', body: {} },
    stop: { path: '/stop' },
    resume: { path: '', body: { resume: true } },
    retryFailed: { path: '', body: { retryFailed: true } },
    dryRun: { path: '', body: { dryRun: true } },
  };

  const views = new Map();
  let pollTimer;

  class KeyNeeded extends Error {}

  function byId(id) {
    return document.getElementById(id);
  }

  async function callApi(method, path, body) {
    const headers = { Accept: 'application/json' };
    const key = sessionStorage.getItem(keyItem);
    if (key) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    if (response.status === 401) {
      askForKey(key ? 'The service did not accept this key.' : '');
      throw new KeyNeeded();
    }
    const text = await response.text();
    let answer;
    try {
      answer = text ? JSON.parse(text) : undefined;
    } catch {
      answer = { message: text };
    }
    return { status: response.status, answer };
  }

  function askForKey(problem) {
    sessionStorage.removeItem(keyItem);
    clearTimeout(pollTimer);
    byId('key-problem').textContent = problem;
    byId('key-form').hidden = false;
    byId('api-key').focus();
  }

  function createView(type) {
    const section = byId('import-template').content.firstElementChild.cloneNode(true);
    section.id = `import-${type}`;
    section.setAttribute('aria-labelledby', `title-${type}`);
    section.querySelector('h2').id = `title-${type}`;
    section.querySelector('.type').textContent = type;
    const progress = section.querySelector('progress');
    progress.id = `progress-${type}`;
    section.querySelector('.progress-label').htmlFor = progress.id;
    const answer = section.querySelector('.answer');
    const allFailures = section.querySelector('.all-failures');
    allFailures.href = `sync/${type}/failures?run=last`;
    allFailures.addEventListener('click', (event) => {
      // A plain link cannot carry the key: with one, the list is fetched and opened as a document.
      if (!sessionStorage.getItem(keyItem)) return;
      event.preventDefault();
      void openWithKey(allFailures.href, answer);
    });
    for (const button of section.querySelectorAll('button[data-action]')) {
      button.addEventListener('click', () => void act(type, button.dataset.action, answer));
    }
    byId('imports').append(section);
    const field = (name) => section.querySelector(`[data-field="${name}"]`);
    return {
      state: section.querySelector('.state'),
      progress,
      percent: section.querySelector('.percent'),
      problem: section.querySelector('.problem'),
      failures: section.querySelector('.failures'),
      buttons: Object.fromEntries([...section.querySelectorAll('button')].map((b) => [b.dataset.action, b])),
      fields: Object.fromEntries(
        ['read', 'sent', 'succeeded', 'failed', 'skipped', 'rate', 'eta', 'elapsed', 'run', 'lock'].map((name) => [
          name,
          field(name),
        ]),
      ),
    };
  }

  async function openWithKey(url, answer) {
    try {
      const { status, answer: list } = await callApi('GET', url);
      if (status !== 200) {
        answer.textContent = `${status}: ${list?.message ?? 'no answer'}`;
        return;
      }
      const blob = new Blob([JSON.stringify(list, null, 2)], { type: 'application/json' });
      window.open(URL.createObjectURL(blob), '_blank', 'noopener');
    } catch (error) {
      if (!(error instanceof KeyNeeded)) answer.textContent = `The service could not be reached: ${error.message}`;
    }
  }

  async function act(type, action, answer) {
    const { path, body } = actions[action];
    answer.textContent = 'Sending…';
    try {
      const { status, answer: reply } = await callApi('POST', `sync/${type}${path}`, body);
      answer.textContent = describeAnswer(status, reply);
    } catch (error) {
      answer.textContent = error instanceof KeyNeeded ? '' : `The service could not be reached: ${error.message}`;
    }
    await refresh();
  }

  function describeAnswer(status, reply) {
    if (status === 202) return `${status}: started run ${reply.runId} (${reply.mode})`;
    if (status < 300) return `${status}: ${reply?.message ?? 'done'}`;
    return `${status}: ${reply?.message ?? reply?.error ?? 'refused'}`;
  }

  function isInProgress(state) {
    return state === 'running' || state === 'stopping';
  }

  function render(status) {
    const view = views.get(status.type);
    if (!view) return;
    const counters = status.counters ?? {};
    const read = counters.read ?? 0;
    view.state.textContent = status.state;
    view.state.dataset.state = status.state;
    showProgress(view, status, read);

    for (const name of ['read', 'sent', 'succeeded', 'failed', 'skipped']) {
      view.fields[name].textContent = counters[name] === undefined ? '—' : counters[name].toLocaleString('en');
    }
    if (status.total !== undefined) view.fields.read.textContent += ` of ${status.total.toLocaleString('en')}`;
    const elapsed = status.elapsedSeconds;
    const rate = elapsed > 0 ? read / elapsed : undefined;
    view.fields.rate.textContent = rate === undefined ? '—' : `${Math.round(rate).toLocaleString('en')} records/s read`;
    const left =
      isInProgress(status.state) && status.total !== undefined && rate > 0 ? (status.total - read) / rate : undefined;
    view.fields.eta.textContent = left === undefined ? '—' : duration(Math.max(0, left));
    view.fields.elapsed.textContent = elapsed === undefined ? '—' : duration(elapsed);
    view.fields.run.textContent = status.runId
      ? `${status.runId}${status.mode ? ` (${status.mode}${status.resumes ? ` of ${status.resumes}` : ''})` : ''}`
      : '—';
    view.fields.lock.textContent = lockHolder(status);

    const problems = [status.error, ...(status.warnings ?? [])];
    if (status.unavailable)
      problems.push(`could not read the ${status.unavailable.join(' and ')}: ${status.unavailableReason}`);
    const problem = problems.filter(Boolean).join('; ');
    view.problem.textContent = problem;
    view.problem.hidden = problem === '';

    view.failures.replaceChildren(
      ...(status.recentFailures ?? [])
        .slice(-shownFailures)
        .reverse()
        .map(({ id, reason }) => {
          const item = document.createElement('li');
          const code = document.createElement('code');
          code.textContent = id;
          item.append(code, `: ${reason}`);
          return item;
        }),
    );
    if (view.failures.childElementCount === 0) {
      const none = document.createElement('li');
      none.textContent = 'none';
      view.failures.append(none);
    }

    const busy = isInProgress(status.state) || status.state === 'unknown';
    for (const action of ['start', 'resume', 'retryFailed', 'dryRun']) view.buttons[action].disabled = busy;
    view.buttons.stop.disabled = status.state !== 'running' || status.runningOn !== undefined;
  }

  function showProgress(view, status, read) {
    const { progress, percent } = view;
    if (status.total !== undefined) {
      progress.max = Math.max(1, status.total);
      progress.value = Math.min(read, progress.max);
      percent.textContent = `${Math.floor((progress.value / progress.max) * 100)} %`;
    } else if (isInProgress(status.state)) {
      // Without a total the bar only says that something is going on.
      progress.removeAttribute('value');
      percent.textContent = '';
    } else {
      progress.max = 1;
      progress.value = status.state === 'completed' ? 1 : 0;
      percent.textContent = '';
    }
  }

  function lockHolder(status) {
    const lock = status.lock;
    if (lock?.legacy) return 'the original module (a lock that never expires)';
    if (lock?.owner) return `${lock.owner}${lock.live === false ? ' (expired)' : ` until ${time(lock.expiresAt)}`}`;
    if (status.runningOn) return status.runningOn;
    return status.unavailable?.includes('lock') ? 'unknown' : 'nobody';
  }

  function duration(seconds) {
    const total = Math.round(seconds);
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const rest = total % 60;
    if (hours > 0) return `${hours} h ${minutes} min`;
    if (minutes > 0) return `${minutes} min ${rest} s`;
    return `${rest} s`;
  }

  function time(iso) {
    return iso ? new Date(iso).toLocaleTimeString('en-GB') : '?';
  }

  async function refresh() {
    clearTimeout(pollTimer);
    let anyInProgress = false;
    try {
      const { status, answer } = await callApi('GET', 'sync/status');
      if (status !== 200) throw new Error(`${status}: ${answer?.message ?? 'no answer'}`);
      for (const importStatus of answer.imports) {
        render(importStatus);
        anyInProgress ||= isInProgress(importStatus.state);
      }
      byId('page-problem').hidden = true;
      byId('updated').textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}`;
    } catch (error) {
      if (error instanceof KeyNeeded) return;
      byId('page-problem').textContent = `The status could not be read: ${error.message}`;
      byId('page-problem').hidden = false;
    }
    pollTimer = setTimeout(() => void refresh(), anyInProgress ? runningPollMs : idlePollMs);
  }

  byId('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(keyItem, byId('api-key').value);
    byId('api-key').value = '';
    byId('key-form').hidden = true;
    void refresh();
  });

  for (const type of types) views.set(type, createView(type));
  void refresh();
})();
