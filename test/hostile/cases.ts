/** One hostile request: what is sent, and the 4xx status and message fragment it must get. */
export interface HostileCase {
  name: string;
  method: 'get' | 'post';
  path: string;
  /** A JSON value (sent as application/json), or raw text sent with `contentType`. */
  body?: unknown;
  raw?: string;
  contentType?: string;
  status: number;
  message: RegExp;
}

const ok = { task_name: 'test.record', params: { label: 'x' } };
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
/** `{ a: { a: … } }`, `levels` deep. */
export const nested = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};
/** JSON text of `levels` nested objects (too deep for a client library to serialize). */
export const nestedJson = (levels: number) => `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`;
/** Raw JSON text of an enqueue body whose params are `paramsJson`. */
const rawParams = (paramsJson: string) => `{"task_name":"test.record","params":${paramsJson}}`;
const enqueue = (name: string, body: unknown, status: number, message: RegExp): HostileCase => ({ name, method: 'post', path: '/enqueue', body, status, message });
const raw = (name: string, text: string, message: RegExp, contentType = 'application/json', status = 400): HostileCase => ({ name, method: 'post', path: '/enqueue', raw: text, contentType, status, message });
const get = (name: string, path: string, status: number, message: RegExp): HostileCase => ({ name, method: 'get', path, status, message });

/** Over fifty malformed or hostile requests; paths are under the API prefix. */
export const HOSTILE_CASES: HostileCase[] = [
  // Values MySQL's JSON refuses, which used to fail every request batched with them.
  // (Written as JSON text: the escapes are what a client sends.)
  raw('a lone high surrogate in params', rawParams('{"x":"a\\ud800b"}'), /body\.params\.x holds a string that is not valid Unicode/),
  raw('a lone low surrogate in params', rawParams('{"x":["\\udc00"]}'), /body\.params\.x\[0\] holds a string that is not valid Unicode/),
  raw('a lone surrogate in a params key', rawParams('{"k\\ud800":1}'), /body\.params has a key that is not valid Unicode/),
  raw('a lone surrogate in task_name', '{"task_name":"test.\\ud800"}', /body\.task_name holds a string that is not valid Unicode/),
  enqueue('params nested 21 levels', { ...ok, params: nested(21) }, 400, /nests deeper than 21 levels/),
  raw('params nested 5,000 levels (no stack overflow)', rawParams(nestedJson(5000)), /nests deeper than/),
  raw('1e309 in params', rawParams('{"n":1e309}'), /body\.params\.n is a number JSON cannot hold \(Infinity\)/),
  raw('-1e309 in params', rawParams('{"n":-1e309}'), /number JSON cannot hold \(-Infinity\)/),
  raw('1e309 as priority', '{"task_name":"test.record","priority":1e309}', /body\.priority is a number JSON cannot hold/),
  // Prototype keys, refused like other unknown fields rather than silently dropped.
  raw('__proto__ in params', rawParams('{"__proto__":{"admin":true}}'), /body\.params has the key "__proto__"/),
  raw('__proto__ at the top', '{"task_name":"test.record","__proto__":{"x":1}}', /body has the key "__proto__"/),
  raw('constructor in params', rawParams('{"constructor":{"prototype":{}}}'), /has the key "constructor"/),
  raw('prototype nested in params', rawParams('{"a":{"prototype":1}}'), /body\.params\.a has the key "prototype"/),
  // Not JSON: no cross-site form can reach the routes.
  raw('an HTML form (urlencoded)', 'task_name=test.record', /Send the body as application\/json \(got application\/x-www-form-urlencoded\)/, 'application/x-www-form-urlencoded', 415),
  raw('text/plain', JSON.stringify(ok), /got text\/plain/, 'text/plain', 415),
  raw('multipart/form-data', '--x\r\n\r\n--x--', /got multipart\/form-data/, 'multipart/form-data; boundary=x', 415),
  { name: 'a form posted to cancel', method: 'post', path: `/${UNKNOWN_ID}/cancel`, raw: 'x=1', contentType: 'application/x-www-form-urlencoded', status: 415, message: /application\/json/ },
  { name: 'an option in the body of a cancel (it takes none)', method: 'post', path: `/${UNKNOWN_ID}/cancel`, body: { wait_seconds: 5 }, status: 400, message: /^property wait_seconds should not exist$/ },
  { name: 'a retry whose body is a string', method: 'post', path: `/${UNKNOWN_ID}/retry`, raw: '"now"', status: 400, message: /^this route takes no body: send none, or \{\}$/ },
  { name: 'text/plain posted to retry', method: 'post', path: `/${UNKNOWN_ID}/retry`, raw: 'x', contentType: 'text/plain', status: 415, message: /application\/json/ },
  { name: 'a form posted to bulk', method: 'post', path: '/enqueue/bulk', raw: 'tasks=1', contentType: 'application/x-www-form-urlencoded', status: 415, message: /application\/json/ },
  // Sizes.
  enqueue('a body over 100 KB', { ...ok, params: { blob: 'x'.repeat(200_000) } }, 413, /too large|larger than/i),
  enqueue('params over the 64 KiB limit', { ...ok, params: { blob: 'x'.repeat(70_000) } }, 400, /params is \d+ bytes of JSON; the limit is 65536/),
  enqueue('a task_name of 300 characters', { ...ok, task_name: 'x'.repeat(300) }, 400, /task_name must be a string of 1 to 255 characters/),
  enqueue('a task_type of 200 characters', { ...ok, task_type: 'x'.repeat(200) }, 400, /task_type must be a string of 1 to 100 characters/),
  enqueue('an idempotency key of 256 characters', { ...ok, idempotency_key: 'k'.repeat(256) }, 400, /idempotency_key must be a string of 1 to 255 characters/),
  enqueue('a singleton key of 256 characters beyond the BMP', { ...ok, singleton_key: '\u{1F600}'.repeat(256) }, 400, /singleton_key must be a string of 1 to 255 characters/),
  // Ids.
  get('a task id that is not a UUID', '/abc-123-def-456', 400, /task_id must be a UUID/),
  get('SQL in a task id', `/${encodeURIComponent("' OR 1=1 --")}`, 400, /task_id must be a UUID/),
  get('a task id with a trailing space', `/${UNKNOWN_ID}%20`, 400, /task_id must be a UUID/),
  { name: 'cancel of a non-UUID', method: 'post', path: '/not-a-uuid/cancel', status: 400, message: /task_id must be a UUID/ },
  { name: 'retry of a non-UUID', method: 'post', path: '/1%3BDROP%20TABLE/retry', status: 400, message: /task_id must be a UUID/ },
  { name: 'cancel of an unknown task', method: 'post', path: `/${UNKNOWN_ID}/cancel`, status: 404, message: /not found/ },
  // A query field a route does not take: refused, never ignored, also where the route takes no query.
  get('a query field on the schedules', '/schedules?x=1', 400, /^property x should not exist$/),
  get('a query field on a task\'s events', `/${UNKNOWN_ID}/events?since=0`, 400, /^property since should not exist$/),
  { name: 'a long poll asked of a cancel', method: 'post', path: `/${UNKNOWN_ID}/cancel?wait_seconds=5`, status: 400, message: /^property wait_seconds should not exist$/ },
  { name: 'an option sent in the enqueue\'s query', method: 'post', path: '/enqueue?priority=9', body: ok, status: 400, message: /^property priority should not exist$/ },
  get('a limit of eighteen digits', '/?limit=999999999999999999', 400, /^limit must be an integer from 1 to 1000$/),
  enqueue('an idempotency key with a trailing space', { ...ok, idempotency_key: 'Key-X ' }, 400, /must not start or end with whitespace/),
  enqueue('an idempotency key with a leading tab', { ...ok, idempotency_key: '\tKey-X' }, 400, /must not start or end with whitespace/),
  // Permissions and names.
  enqueue('an internal task over HTTP', { task_name: 'test.internal' }, 403, /can only be enqueued by the application, not over HTTP/),
  enqueue('an unregistered task', { task_name: 'nope.nothing' }, 400, /"nope.nothing" is not registered/),
  enqueue('SQL as task_name', { task_name: "x'; DROP TABLE background_tasks; --" }, 400, /is not registered/),
  enqueue('a task_type that is not the handler\'s', { ...ok, task_type: 'email' }, 400, /does not match/),
  // Types and ranges.
  enqueue('an unknown field', { ...ok, colour: 'red' }, 400, /property colour should not exist/),
  enqueue('priority as a string', { ...ok, priority: '5' }, 400, /priority must be an integer/),
  enqueue('priority 0', { ...ok, priority: 0 }, 400, /priority must be an integer from 1 to 10/),
  enqueue('max_retries -1', { ...ok, max_retries: -1 }, 400, /max_retries must be an integer from 0 to 25/),
  enqueue('delay_seconds as text', { ...ok, delay_seconds: 'soon' }, 400, /delay_seconds/),
  enqueue('run_at that is no date', { ...ok, run_at: 'tomorrow' }, 400, /run_at must be an ISO 8601 date-time/),
  enqueue('run_at and delay_seconds', { ...ok, run_at: new Date(Date.now() + 60_000).toISOString(), delay_seconds: 5 }, 400, /not both/),
  enqueue('timeout_seconds 0', { ...ok, timeout_seconds: 0 }, 400, /timeout_seconds must be an integer from 1 to 86400/),
  enqueue('params as an array', { ...ok, params: [1] }, 400, /params must be a JSON object/),
  enqueue('params as a string', { ...ok, params: 'x' }, 400, /params must be a JSON object/),
  enqueue('a body that is an array', [ok], 400, /^the body must be a JSON object, one task/),
  { name: 'a bulk body that is the list itself', method: 'post', path: '/enqueue/bulk', body: [ok], status: 400, message: /^the body must be a JSON object: \{ "tasks": \[\.\.\.\] \}$/ },
  { name: 'a workflow body that is the list itself', method: 'post', path: '/workflows', body: [ok], status: 400, message: /^the body must be a JSON object: \{ "chain": \[\.\.\.\] \}, / },
  raw('a body of null', 'null', /^the body must be a JSON object, one task/),
  raw('a body that is a string', '"test.record"', /^the body must be a JSON object, one task/),
  { name: 'a bulk body that is a number', method: 'post', path: '/enqueue/bulk', raw: '12', status: 400, message: /^the body must be a JSON object: \{ "tasks": \[\.\.\.\] \}$/ },
  { name: 'a workflow body of null', method: 'post', path: '/workflows', raw: 'null', status: 400, message: /^the body must be a JSON object: \{ "chain": \[\.\.\.\] \}, / },
  raw('malformed JSON', '{"task_name": ', /JSON|Unexpected|Expected/),
  raw('an empty JSON body', '', /task_name/),
  // Queries.
  get('limit=abc', '?limit=abc', 400, /limit must be an integer/),
  get('limit=1e309', '?limit=1e309', 400, /limit must be an integer/),
  get('offset=-1', '?offset=-1', 400, /offset must be an integer >= 0/),
  get('an offset of a million (MySQL would walk every skipped row)', '?offset=1000000', 400, /offset goes at most 10000 tasks deep; page deeper with cursor/),
  get('a cursor that is not one', '?cursor=bm90IGEgY3Vyc29y', 400, /cursor is not a cursor returned by this API/),
  get('a cursor of 5,000 characters', `?cursor=${'A'.repeat(5000)}`, 400, /cursor is not a cursor returned by this API/),
  get('an unknown status', '?status=done', 400, /status must be one of/),
  get('HTML as error_type', `?error_type=${encodeURIComponent('<script>')}`, 400, /error_type must be one of/),
  get('SQL as task_type', `?task_type=${encodeURIComponent("' OR 1=1 --")}`, 400, /task_type must be one of/),
  get('an unknown count filter value', '/count/all?status=pending%27', 400, /status must be one of/),
  // Bulk.
  { name: 'bulk of 1,001 tasks', method: 'post', path: '/enqueue/bulk', body: { tasks: Array.from({ length: 1001 }, () => ok) }, status: 400, message: /tasks must contain no more than 1000 elements/ },
  { name: 'bulk tasks that is not a list', method: 'post', path: '/enqueue/bulk', body: { tasks: 'all' }, status: 400, message: /tasks must be an array/ },
  { name: 'bulk nested 5,000 levels', method: 'post', path: '/enqueue/bulk', raw: `{"tasks":[{"task_name":"test.record","params":${nestedJson(5000)}}]}`, status: 400, message: /nests deeper than/ },
  // Workflows: the size is checked before any task is (the one problem named, not 100,000 of them).
  { name: 'a workflow of 100,000 unregistered tasks', method: 'post', path: '/workflows', body: { group: Array.from({ length: 100_000 }, () => ({ task_name: 'nope.nothing' })) }, status: 400, message: /^a workflow holds at most 1000 tasks, this one 100000$/ },
  { name: 'a chord of 999 members, its callback and an error callback', method: 'post', path: '/workflows', body: { chord: Array.from({ length: 999 }, () => ok), callback: ok, on_failure: ok }, status: 400, message: /^a workflow holds at most 1000 tasks, this one 1001$/ },
];
