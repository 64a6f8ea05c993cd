/** One Server-Sent Event as received. */
export interface ReceivedEvent {
  id?: string;
  type: string;
  data: Record<string, unknown>;
}

/**
 * Reads an SSE stream with fetch until `until` says stop (or the server ends it) and returns
 * the events, heartbeats left out. Rejects with the status and body of a non-200 answer.
 */
export async function readEvents(
  url: string,
  options: { headers?: Record<string, string>; until?: (events: ReceivedEvent[]) => boolean; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ReceivedEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no end of ${url} within ${options.timeoutMs ?? 20_000} ms`)), options.timeoutMs ?? 20_000);
  // The caller's own reason to stop reading, too (it rejects with the signal's reason).
  const signal = options.signal ? AbortSignal.any([abort.signal, options.signal]) : abort.signal;
  try {
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...options.headers }, signal });
    if (response.status !== 200) throw Object.assign(new Error(`HTTP ${response.status}: ${await response.text()}`), { status: response.status });
    const events: ReceivedEvent[] = [];
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event && event.type !== 'heartbeat') events.push(event);
      }
      if (options.until?.(events)) break;
    }
    abort.abort();
    return events;
  } finally {
    clearTimeout(timer);
  }
}

function parseEvent(block: string): ReceivedEvent | undefined {
  const event: Partial<ReceivedEvent> & { type: string } = { type: 'message' };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const [field, value] = [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, '')];
    if (field === 'id') event.id = value;
    else if (field === 'event') event.type = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { ...event, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
}
