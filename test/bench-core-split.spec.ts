import { describe, expect, it } from '@jest/globals';
import { coreSplit, parseAffinity } from '../bench/core-split.js';

describe("the bench's split of the cores (MariaDB on a core of its own)", () => {
  it('gives MariaDB the last core and this process and Redis every other one', () => {
    expect(coreSplit(2)).toEqual({ database: '2', rest: '1' });
    expect(coreSplit(4)).toEqual({ database: '8', rest: '7' });
    expect(coreSplit(12)).toEqual({ database: '800', rest: '7ff' });
  });

  it('makes no split of one core', () => {
    expect(coreSplit(1)).toBeUndefined();
  });

  it("reads the mask in taskset's answer, and refuses an answer it does not know", () => {
    expect(parseAffinity("pid 3786's current affinity mask: 3\n")).toBe('3');
    expect(parseAffinity("pid 1's current affinity mask: ff0f")).toBe('ff0f');
    expect(() => parseAffinity('taskset: failed to get pid 9 affinity: No such process')).toThrow(/Unexpected answer/);
  });
});
