// The router: #/ overview, #/tasks list, #/tasks/<id> one task. Each view is rebuilt on navigation.
import { ApiError } from './api.js';
import { h, overview, taskDetail, taskList } from './views.js';

const main = document.getElementById('view');
let leaving = new AbortController();

async function route() {
  leaving.abort();
  leaving = new AbortController();
  const signal = leaving.signal;
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const detail = /^\/tasks\/([0-9a-fA-F-]{36})$/.exec(path);
  for (const link of document.querySelectorAll('[data-nav]')) link.classList.toggle('active', link.dataset.nav === (path.startsWith('/tasks') ? 'tasks' : 'overview'));
  try {
    const view = detail ? await taskDetail(detail[1], signal) : path.startsWith('/tasks') ? await taskList(params) : await overview(params);
    if (!signal.aborted) main.replaceChildren(view);
  } catch (error) {
    if (signal.aborted) return;
    const status = error instanceof ApiError ? ` (HTTP ${error.status})` : '';
    main.replaceChildren(h('p', { class: 'flash error', role: 'alert' }, `Could not load this view${status}: ${error.message}`));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
