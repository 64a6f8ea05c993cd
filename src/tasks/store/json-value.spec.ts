import { describe, expect, it } from '@jest/globals';
import { jsonValueProblems, MAX_JSON_DEPTH } from './json-value.js';

/** `{ a: { a: … } }`, `levels` deep. */
const nested = (levels: number) => {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};

describe('jsonValueProblems', () => {
  it('accepts plain JSON: objects, arrays, strings with any valid characters, finite numbers, booleans, null', () => {
    expect(jsonValueProblems({ a: [1, 2.5, -3e10, true, null, 'naïve 😀 \u0000'], b: { c: '' } }, 'params')).toEqual([]);
    expect(jsonValueProblems(nested(MAX_JSON_DEPTH), 'params')).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['a lone high surrogate', { name: 'x\ud800y' }, 'params.name holds a string that is not valid Unicode (a lone surrogate)'],
    ['a lone low surrogate in an array', { list: ['ok', '\udc00'] }, 'params.list[1] holds a string that is not valid Unicode (a lone surrogate)'],
    ['a lone surrogate in a key', { ['k\ud800']: 1 }, 'params has a key that is not valid Unicode (a lone surrogate)'],
    ['Infinity (1e309 parsed)', { n: JSON.parse('1e309') }, 'params.n is a number JSON cannot hold (Infinity)'],
    ['NaN', { n: NaN }, 'params.n is a number JSON cannot hold (NaN)'],
    ['a __proto__ key', JSON.parse('{"__proto__": {"admin": true}}'), 'params has the key "__proto__", which is not accepted'],
    ['a nested constructor key', { a: { constructor: { prototype: {} } } }, 'params.a has the key "constructor", which is not accepted'],
    ['a bigint', { n: 10n }, 'params.n is not a JSON value (bigint)'],
  ])('refuses %s, naming where', (_case, value, problem) => {
    expect(jsonValueProblems(value, 'params')).toEqual([problem]);
  });

  it('refuses nesting one level too deep, and 100,000 levels without overflowing the stack', () => {
    expect(jsonValueProblems(nested(MAX_JSON_DEPTH + 1), 'params')).toEqual([`params nests deeper than ${MAX_JSON_DEPTH} levels`]);
    expect(jsonValueProblems(nested(100_000), 'params')).toEqual([`params nests deeper than ${MAX_JSON_DEPTH} levels`]);
  });
});
