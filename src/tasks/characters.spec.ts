import { describe, expect, it } from '@jest/globals';
import { characterCount, isStringOfLength, truncateCharacters } from './characters.js';

const EMOJI = '\u{1F600}'; // one character, two UTF-16 units

describe('characters (as MySQL counts a VARCHAR)', () => {
  it('counts a character beyond the BMP once, and a lone surrogate once', () => {
    expect(characterCount('')).toBe(0);
    expect(characterCount('abc')).toBe(3);
    expect(characterCount(EMOJI.repeat(255))).toBe(255);
    expect(characterCount(`a${EMOJI}b`)).toBe(3);
    expect(characterCount('a\ud800b')).toBe(3);
    expect(characterCount('\udc00\ud800')).toBe(2);
    expect(characterCount(`\ud800${EMOJI}`)).toBe(2);
  });

  it('checks a length in characters, not UTF-16 units', () => {
    expect(isStringOfLength(EMOJI.repeat(255), 1, 255)).toBe(true);
    expect(isStringOfLength(EMOJI.repeat(256), 1, 255)).toBe(false);
    expect(isStringOfLength('x'.repeat(255), 1, 255)).toBe(true);
    expect(isStringOfLength('x'.repeat(256), 1, 255)).toBe(false);
    expect(isStringOfLength('', 1, 255)).toBe(false);
    expect(isStringOfLength(42, 1, 255)).toBe(false);
    expect(isStringOfLength('x', 1, 255)).toBe(true);
    // A minimum counts characters too: one emoji is not two characters.
    expect(isStringOfLength(EMOJI, 2, 10)).toBe(false);
    expect(isStringOfLength(EMOJI.repeat(2), 2, 10)).toBe(true);
  });

  it('cuts after whole characters, never inside one', () => {
    expect(truncateCharacters('abc', 5)).toBe('abc');
    expect(truncateCharacters('abcdef', 3)).toBe('abc');
    expect(truncateCharacters(EMOJI.repeat(600), 500)).toBe(EMOJI.repeat(500));
    expect(truncateCharacters(`ab${EMOJI}cd`, 3)).toBe(`ab${EMOJI}`);
    expect(truncateCharacters(`ab${EMOJI}cd`, 2)).toBe('ab');
    expect(truncateCharacters('a\ud800bcd', 3)).toBe('a\ud800b');
  });
});
