// One task: everything its row holds, live over its event stream, with cancel, retry and delete.
import { api } from './api.js';
import { formatMs } from './charts.js';
import { h, when } from './views.js';

const FINAL = ['completed', 'failed', 'cancelled'];
const json = (value) => (value === null || value === undefined ? '–' : JSON.stringify(value, null, 2));

/** Renders the task and keeps it current until `signal` aborts (the view is left). */
export async function taskDetail(taskId, signal) {
  const view = h('section', { id: 'task-detail', 'data-task-id': taskId });
  let task = await api.task(taskId);
  let notice = null;
  const render = () => view.replaceChildren(...(notice ? [h('p', { class: `flash ${notice.kind}`, role: 'status' }, notice.message)] : []), ...content(task, act));
  const act = async (action, question) => {
    if (!confirm(question)) return;
    try {
      const answer = await api[action](taskId);
      // A deleted task has no page any more: back to the list.
      if (action === 'remove') return void (location.hash = '#/tasks');
      notice = { kind: 'ok', message: answer.message ?? `${action} done` };
    } catch (error) {
      notice = { kind: 'error', message: error.message };
    }
    task = await api.task(taskId);
    render();
    if (!FINAL.includes(task.status)) follow();
  };
  // The stream ends at the final state; a retry reopens the task, so it is followed again.
  const follow = () => {
    const events = api.taskEvents(taskId);
    signal.addEventListener('abort', () => events.close(), { once: true });
    const refresh = async (event) => {
      const change = JSON.parse(event.data);
      if (event.type === 'progress') Object.assign(task, { progress: change.progress, progress_message: change.progress_message });
      else task = await api.task(taskId);
      render();
      if (FINAL.includes(change.status) && event.type !== 'progress') events.close();
    };
    for (const type of ['snapshot', 'status', 'progress']) events.addEventListener(type, (event) => void refresh(event));
    // Closed by the server after the final state: no reconnect wanted then.
    events.onerror = () => FINAL.includes(task.status) && events.close();
  };
  render();
  if (!FINAL.includes(task.status)) follow();
  return view;
}

function content(task, act) {
  const duration = task.started_at && task.completed_at ? formatMs(new Date(task.completed_at) - new Date(task.started_at)) : null;
  return [
    h('p', {}, h('a', { href: '#/tasks' }, '← all tasks')),
    h('h2', {}, task.task_name, ' ', h('span', { class: `badge ${task.status}`, id: 'status', 'data-status': task.status }, task.status)),
    h('p', { class: 'muted mono' }, task.task_id),
    h('div', { class: 'actions' },
      h('button', { id: 'cancel', disabled: FINAL.includes(task.status), onclick: () => act('cancel', `Cancel task ${task.task_id}?`) }, 'Cancel'),
      h('button', { id: 'retry', disabled: !['failed', 'cancelled'].includes(task.status), onclick: () => act('retry', `Retry task ${task.task_id}?`) }, 'Retry'),
      // A step goes with its workflow.
      h('button', { id: 'delete', disabled: !FINAL.includes(task.status) || task.workflow_id !== null, onclick: () => act('remove', `Delete task ${task.task_id} and its data?`) }, 'Delete')),
    h('div', { class: 'progress' },
      h('progress', { id: 'progress', max: 100, value: task.progress ?? 0 }),
      h('span', { id: 'progress-text' }, task.progress === null ? 'no progress reported' : `${task.progress} % ${task.progress_message ?? ''}`)),
    h('dl', {},
      field('Type', task.task_type), field('Priority', task.priority),
      field('Attempts', `${task.retry_count} retries of ${task.max_retries} allowed`),
      field('Time limit', task.timeout_seconds ? `${task.timeout_seconds} s` : '–'),
      field('Idempotency key', task.idempotency_key ?? '–'),
      field('Singleton key', task.singleton_key ?? '–'),
      field('Error class', task.error_type ?? '–'), field('Error', task.error_message ?? '–')),
    h('h3', {}, 'Timeline'),
    h('ol', { class: 'timeline' },
      h('li', {}, 'created ', when(task.created_at)),
      task.run_at ? h('li', {}, 'runs at ', when(task.run_at)) : null,
      task.started_at ? h('li', {}, 'started ', when(task.started_at)) : null,
      expiry(task),
      task.completed_at ? h('li', {}, `${task.status} `, when(task.completed_at), duration ? ` (${duration})` : '') : null),
    ...(task.steps ? [
      h('h3', {}, 'Steps'),
      h('p', { class: 'muted', id: 'summary' }, Object.entries(task.summary ?? {}).map(([status, n]) => `${n} ${status}`).join(', ')),
      h('ol', { id: 'steps' }, task.steps.map((step) => h('li', {},
        h('a', { href: `#/tasks/${step.task_id}` }, step.task_name), ' ', h('span', { class: `badge ${step.status}` }, step.status),
        // A step cancelled before its turn keeps `blocked`: it no longer waits.
        step.status === 'pending' && step.blocked ? h('span', { class: 'muted' }, ' waiting') : null, step.error_message ? h('span', { class: 'muted' }, ` ${step.error_message}`) : null))),
    ] : []),
    task.on_failure ? h('p', { id: 'on-failure' }, 'If it fails: ', h('a', { href: `#/tasks/${task.on_failure.task_id}` }, task.on_failure.task_name), ' ',
      h('span', { class: `badge ${task.on_failure.status}` }, task.on_failure.status), task.on_failure.status === 'pending' && task.on_failure.blocked ? h('span', { class: 'muted' }, ' waiting for a failure') : null) : null,
    task.workflow_id ? h('p', {}, 'Part of workflow ', h('a', { href: `#/tasks/${task.workflow_id}` }, task.workflow_id)) : null,
    h('h3', {}, 'Params'), h('pre', { id: 'params' }, json(task.params)),
    h('h3', {}, 'Result'), h('pre', { id: 'result' }, json(task.result)),
    // The sections a task lacks are null here; replaceChildren would write each as the text "null".
  ].filter((node) => node !== null);
}

// The expiry is checked before every attempt (a retry or a redelivery too), never during one;
// once the task has finished it no longer applies.
function expiry(task) {
  if (!task.expires_at || FINAL.includes(task.status)) return null;
  const what = task.started_at ? 'no further attempt begins after ' : 'expires if not started by ';
  return h('li', { id: 'expires', 'data-at': task.expires_at }, what, when(task.expires_at));
}

function field(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)];
}
