/** Deepest nesting a stored JSON value may have; MySQL and MariaDB refuse JSON deeper than 100 / 32 levels. */
export const MAX_JSON_DEPTH = 20;

/** Keys that would reach an object's prototype where a handler spreads or merges the value. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * What keeps `value` from being stored as MySQL JSON exactly as given, named by path
 * (`params.a.b`): nesting deeper than {@link MAX_JSON_DEPTH}, a string or key with a lone
 * surrogate, a number JSON cannot hold (NaN, ±Infinity, as `1e309` parses), a prototype key,
 * a value that is not JSON (a function, a symbol, a bigint). Walks iteratively, so however deep
 * the input it never overflows the stack; stops at the first problem.
 */
export function jsonValueProblems(value: unknown, name: string, maxDepth = MAX_JSON_DEPTH): string[] {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: name, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      if (!current.isWellFormed()) return [`${path} holds a string that is not valid Unicode (a lone surrogate)`];
    } else if (typeof current === 'number') {
      if (!Number.isFinite(current)) return [`${path} is a number JSON cannot hold (${String(current)})`];
    } else if (current !== null && typeof current === 'object') {
      if (depth > maxDepth) return [`${name} nests deeper than ${maxDepth} levels`];
      for (const [key, child] of Object.entries(current)) {
        if (FORBIDDEN_KEYS.has(key)) return [`${path} has the key "${key}", which is not accepted`];
        if (!key.isWellFormed()) return [`${path} has a key that is not valid Unicode (a lone surrogate)`];
        stack.push({ value: child, path: Array.isArray(current) ? `${path}[${key}]` : `${path}.${key}`, depth: depth + 1 });
      }
    } else if (current !== null && typeof current !== 'boolean') {
      return [`${path} is not a JSON value (${typeof current})`];
    }
  }
  return [];
}

/** True when objects or arrays in `value` nest deeper than `maxDepth` (iterative, like the above). */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}
