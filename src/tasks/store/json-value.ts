/** Deepest nesting a stored JSON value may have; MySQL and MariaDB refuse JSON deeper than 100 / 32 levels. */
export const MAX_JSON_DEPTH = 20;

/** Keys that would reach an object's prototype where a handler spreads or merges the value. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * What keeps `value` from being stored as MySQL JSON exactly as given, named by path
 * (`params.a.b`): nesting deeper than {@link MAX_JSON_DEPTH}, a string or key with a lone
 * surrogate, a number JSON cannot hold (NaN, ±Infinity, as `1e309` parses), a prototype key,
 * a value that is not JSON (a function, a symbol, a bigint). Walks iteratively, so however deep
 * the input it never overflows the stack; stops at the first problem. A path is spelled only
 * for the problem found, and only objects and arrays wait on the walk's stack: a request body
 * of two million numbers took 1.6 s with a path string and a stack entry made for every value.
 */
export function jsonValueProblems(value: unknown, name: string, maxDepth = MAX_JSON_DEPTH): string[] {
  if (value === null || typeof value !== 'object') {
    const problem = scalarProblem(value);
    return problem ? [`${name} ${problem}`] : [];
  }
  const stack: Container[] = [{ value, parent: null, key: '', depth: 0 }];
  while (stack.length > 0) {
    const container = stack.pop()!;
    if (container.depth > maxDepth) return [`${name} nests deeper than ${maxDepth} levels`];
    const problem = Array.isArray(container.value) ? itemsProblem(container, container.value, stack) : fieldsProblem(container, stack);
    if (problem) return [problem(name)];
  }
  return [];
}

/** An object or array on the walk, with the way back to the root to spell its path by. */
interface Container {
  value: object;
  parent: Container | null;
  key: string | number;
  depth: number;
}
/** A problem found, as the message for the value's name. */
type Problem = (name: string) => string;

function pathOf(container: Container, name: string): string {
  return container.parent ? childPath(container.parent, container.key, name) : name;
}

function childPath(parent: Container, key: string | number, name: string): string {
  return `${pathOf(parent, name)}${Array.isArray(parent.value) ? `[${key}]` : `.${key}`}`;
}

function itemsProblem(container: Container, items: unknown[], stack: Container[]): Problem | null {
  for (let index = 0; index < items.length; index++) {
    // A hole is no value (JSON.stringify writes null), as an array's missing keys always were here.
    if (!(index in items)) continue;
    const problem = childProblem(container, index, items[index], stack);
    if (problem) return problem;
  }
  return null;
}

function fieldsProblem(container: Container, stack: Container[]): Problem | null {
  const fields = container.value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (FORBIDDEN_KEYS.has(key)) return (name) => `${pathOf(container, name)} has the key "${key}", which is not accepted`;
    if (!key.isWellFormed()) return (name) => `${pathOf(container, name)} has a key that is not valid Unicode (a lone surrogate)`;
    const problem = childProblem(container, key, fields[key], stack);
    if (problem) return problem;
  }
  return null;
}

/** Checks a scalar child at once; an object or array child waits on the stack. */
function childProblem(container: Container, key: string | number, child: unknown, stack: Container[]): Problem | null {
  if (child !== null && typeof child === 'object') {
    stack.push({ value: child, parent: container, key, depth: container.depth + 1 });
    return null;
  }
  const problem = scalarProblem(child);
  return problem ? (name) => `${childPath(container, key, name)} ${problem}` : null;
}

/** What is wrong with a value that is not an object or array, or null. */
function scalarProblem(value: unknown): string | null {
  if (typeof value === 'string') return value.isWellFormed() ? null : 'holds a string that is not valid Unicode (a lone surrogate)';
  if (typeof value === 'number') return Number.isFinite(value) ? null : `is a number JSON cannot hold (${String(value)})`;
  if (value === null || typeof value === 'boolean') return null;
  return `is not a JSON value (${typeof value})`;
}

/** True when objects or arrays in `value` nest deeper than `maxDepth` (iterative, like the above; only objects and arrays are stacked). */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: Array<[object, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (depth > maxDepth) return true;
    const children: unknown[] = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
