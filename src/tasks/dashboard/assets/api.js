// The dashboard's only way to the server: the module's REST API and its event streams.
// Same-origin requests carry the page's credentials (cookies, HTTP auth), so the module's
// guards judge each call exactly as they judge any other client.

const base = document.querySelector('meta[name="tasks-api"]').content;

/** An API error with the server's message. */
export class ApiError extends Error {
  constructor(status, body) {
    const message = Array.isArray(body?.message) ? body.message.join('; ') : body?.message ?? `HTTP ${status}`;
    super(message);
    this.status = status;
  }
}

async function call(method, path, query) {
  const url = new URL(`${base}${path}`, location.origin);
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== '') url.searchParams.set(key, value);
  const response = await fetch(url, { method, headers: { accept: 'application/json' }, credentials: 'same-origin' });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const api = {
  stats: (query) => call('GET', '/stats', query),
  list: (query) => call('GET', '', query),
  task: (id) => call('GET', `/${encodeURIComponent(id)}`),
  schedules: () => call('GET', '/schedules'),
  cancel: (id) => call('POST', `/${encodeURIComponent(id)}/cancel`),
  retry: (id) => call('POST', `/${encodeURIComponent(id)}/retry`),
  remove: (id) => call('DELETE', `/${encodeURIComponent(id)}`),
  /** An EventSource on one task's changes (it ends at the final state). */
  taskEvents: (id) => new EventSource(`${base}/${encodeURIComponent(id)}/events`, { withCredentials: true }),
  allEvents: () => new EventSource(`${base}/events`, { withCredentials: true }),
};
