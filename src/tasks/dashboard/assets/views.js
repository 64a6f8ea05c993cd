// The three views. Every value from the server goes into the page as text (never as HTML):
// task names, params and errors come from clients the dashboard's viewer does not control.
import { api } from './api.js';
import { durationBars, formatMs, stackedBars } from './charts.js';

export const STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'];
const ERROR_TYPES = ['timeout', 'network', 'resource', 'validation', 'unknown'];
const WINDOWS = ['15m', '1h', '6h', '24h', '7d', '30d'];

/** An element: h('td', { class: 'x' }, 'text', childNode…). */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  return node;
}

const percent = (rate) => (rate === null ? '–' : `${(rate * 100).toFixed(1)} %`);
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '–');
const badge = (status) => h('span', { class: `badge ${status}`, 'data-status': status }, status);

function table(headers, rows) {
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map((header) => h('th', {}, header)))), h('tbody', {}, rows));
}

/** Overview: counts, success rate, throughput and durations over a window, queues, schedules. */
export async function overview(params) {
  const window = WINDOWS.includes(params.get('window')) ? params.get('window') : '24h';
  const [stats, { schedules }] = await Promise.all([api.stats({ window }), api.schedules()]);
  const current = Object.fromEntries(STATUSES.map((status) => [status, stats.types.reduce((sum, type) => sum + (type.current[status] ?? 0), 0)]));
  const picker = h('select', { id: 'window', onchange: (event) => (location.hash = `#/?window=${event.target.value}`) }, WINDOWS.map((value) => h('option', { value, selected: value === window }, value)));
  return h('section', { id: 'overview' },
    h('div', { class: 'cards' },
      STATUSES.map((status) => h('a', { class: `card ${status}`, href: `#/tasks?status=${status}`, 'data-count': status }, h('strong', {}, current[status]), h('span', {}, status))),
      h('div', { class: 'card' }, h('strong', { id: 'success-rate' }, percent(stats.totals.success_rate)), h('span', {}, `success rate, ${window}`)),
      h('div', { class: 'card' }, h('strong', {}, stats.totals.per_minute), h('span', {}, `finished / minute, ${window} average`))),
    h('h2', {}, 'Finished per ', stats.resolution, ' over the last ', picker),
    stackedBars(everyBucket(stats), [
      { key: 'completed', label: 'completed', className: 'completed' },
      { key: 'failed', label: 'failed', className: 'failed' },
      { key: 'cancelled', label: 'cancelled', className: 'cancelled' },
    ]),
    h('h2', {}, 'Durations by task (final attempt)'),
    durationBars(stats.tasks),
    h('h2', {}, 'By task type'),
    table(['Type', ...STATUSES, 'Success rate', 'p95'], stats.types.map((type) =>
      h('tr', {}, h('td', {}, h('a', { href: `#/tasks?task_type=${encodeURIComponent(type.task_type)}` }, type.task_type)),
        STATUSES.map((status) => h('td', { class: 'number' }, type.current[status] ?? 0)),
        h('td', { class: 'number' }, percent(type.success_rate)), h('td', { class: 'number' }, type.duration_ms ? formatMs(type.duration_ms.p95) : '–')))),
    h('h2', {}, 'By task name, last ', window),
    table(['Task', 'Completed', 'Failed', 'Cancelled', 'Errors', 'Success rate', 'p50', 'p99'], stats.tasks.map((task) =>
      h('tr', {}, h('td', {}, task.task_name), h('td', { class: 'number' }, task.completed), h('td', { class: 'number' }, task.failed),
        h('td', { class: 'number' }, task.cancelled), h('td', {}, Object.entries(task.by_error_type).map(([type, n]) => `${type} ${n}`).join(', ')),
        h('td', { class: 'number' }, percent(task.success_rate)),
        h('td', { class: 'number' }, task.duration_ms ? formatMs(task.duration_ms.p50) : '–'), h('td', { class: 'number' }, task.duration_ms ? formatMs(task.duration_ms.p99) : '–')))),
    h('h2', {}, 'Queues'),
    table(['Queue', 'Type', 'Waiting', 'Prioritized', 'Delayed', 'Active', 'Workers'], stats.queues.map((queue) =>
      h('tr', {}, h('td', {}, queue.queue), h('td', {}, queue.task_type), ['waiting', 'prioritized', 'delayed', 'active'].map((key) => h('td', { class: 'number' }, queue[key])),
        workersCell(queue)))),
    h('h2', {}, 'Schedules'),
    schedules.length === 0 ? h('p', { class: 'muted' }, 'No periodic task.') :
      table(['Schedule', 'Task', 'When', 'Next run'], schedules.map((schedule) =>
        h('tr', {}, h('td', {}, schedule.name), h('td', {}, schedule.task_name),
          h('td', {}, schedule.cron ? `${schedule.cron} (${schedule.tz})` : `every ${formatMs(schedule.every_ms)}`), h('td', {}, when(schedule.next_run_at))))));
}

/** How many workers serve a queue; flagged when none does while its jobs wait (null: Redis would not say). */
function workersCell(queue) {
  if (queue.workers === null) return h('td', { class: 'number muted', 'data-workers': queue.queue, title: 'Redis refuses to list its clients' }, '?');
  const unserved = queue.workers === 0 && queue.waiting + queue.prioritized > 0;
  return h('td', { class: unserved ? 'number unserved' : 'number', 'data-workers': queue.queue, title: unserved ? 'Jobs wait and no worker serves this queue' : '' }, queue.workers);
}

/**
 * The throughput with a slot for every bucket of the window, empty ones at zero, so the time
 * axis is true (each point goes to the slot its time falls in, whatever zone the server uses).
 */
function everyBucket(stats) {
  const step = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[stats.resolution];
  const from = new Date(stats.from).getTime();
  const slots = Array.from({ length: Math.ceil((new Date(stats.to).getTime() - from) / step) }, (_, index) =>
    ({ at: new Date(from + index * step).toISOString(), completed: 0, failed: 0, cancelled: 0 }));
  for (const point of stats.throughput) {
    const slot = slots[Math.min(slots.length - 1, Math.max(0, Math.floor((new Date(point.at).getTime() - from) / step)))];
    for (const key of ['completed', 'failed', 'cancelled']) slot[key] += point[key];
  }
  return slots;
}

/** The list, with every filter of the API and cursor paging. */
export async function taskList(params) {
  const filters = { status: params.get('status') ?? '', task_type: params.get('task_type') ?? '', error_type: params.get('error_type') ?? '', workflow_id: params.get('workflow_id') ?? '' };
  const page = await api.list({ ...filters, cursor: params.get('cursor') ?? undefined, limit: 50 });
  const go = (changes) => {
    const next = new URLSearchParams({ ...filters, ...changes });
    for (const [key, value] of [...next]) if (!value) next.delete(key);
    location.hash = `#/tasks?${next}`;
  };
  const select = (name, values) => h('select', { name, onchange: (event) => go({ [name]: event.target.value, cursor: '' }) },
    h('option', { value: '' }, `any ${name.replace('_', ' ')}`), values.map((value) => h('option', { value, selected: value === filters[name] }, value)));
  return h('section', { id: 'task-list' },
    h('form', { class: 'filters', onsubmit: (event) => (event.preventDefault(), go({ task_type: event.target.task_type.value, workflow_id: event.target.workflow_id.value.trim(), cursor: '' })) },
      select('status', STATUSES), select('error_type', ERROR_TYPES),
      h('input', { name: 'task_type', placeholder: 'task type', value: filters.task_type }),
      h('input', { name: 'workflow_id', placeholder: 'workflow id', value: filters.workflow_id, size: 36 }), h('button', { type: 'submit' }, 'Filter')),
    h('p', { class: 'muted', id: 'total' }, `${page.total_count} task(s)`),
    table(['Task', 'Status', 'Type', 'Priority', 'Attempts', 'Progress', 'Last error', 'Created'], page.tasks.map((task) =>
      h('tr', { 'data-task-id': task.task_id },
        h('td', {}, h('a', { href: `#/tasks/${task.task_id}` }, task.task_name), h('div', { class: 'muted mono' }, task.task_id)),
        h('td', {}, badge(task.status)), h('td', {}, task.task_type), h('td', { class: 'number' }, task.priority),
        h('td', { class: 'number' }, `${task.retry_count} / ${task.max_retries}`), h('td', { class: 'number' }, task.progress === null ? '–' : `${task.progress} %`),
        // The class here, the message on hover: a failed task's list says why without opening each.
        h('td', { class: 'error', title: task.error_message ?? undefined }, task.error_type ?? '–'),
        h('td', {}, when(task.created_at))))),
    h('div', { class: 'pager' },
      params.get('cursor') ? h('button', { onclick: () => go({ cursor: '' }) }, 'First page') : null,
      page.next_cursor ? h('button', { id: 'next-page', onclick: () => go({ cursor: page.next_cursor }) }, 'Next page') : null));
}

export { taskDetail } from './detail.js';
