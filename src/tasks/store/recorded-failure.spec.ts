import { describe, expect, it } from '@jest/globals';
import { truncateMessage } from './recorded-failure.js';

describe('truncateMessage', () => {
  it('keeps 8,000 characters and marks the cut; counts a character beyond the BMP once and never splits it', () => {
    expect(truncateMessage('x'.repeat(8000))).toBe('x'.repeat(8000));
    expect(truncateMessage('x'.repeat(9000))).toBe(`${'x'.repeat(8000)}…`);
    // U+1F600 is one character and two UTF-16 units: 8,000 of them are kept whole, unmarked.
    expect(truncateMessage('\u{1F600}'.repeat(8000))).toBe('\u{1F600}'.repeat(8000));
    expect(truncateMessage('\u{1F600}'.repeat(8001))).toBe(`${'\u{1F600}'.repeat(8000)}…`);
  });
});
