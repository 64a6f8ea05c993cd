/**
 * Text lengths as MySQL counts a `VARCHAR(n)`'s: in characters (code points). JavaScript's
 * `length` counts UTF-16 units, two for each character beyond the Basic Multilingual Plane (an
 * emoji, a rare CJK ideograph), so a limit checked with it refuses text the column holds, and a
 * cut made with it can split a character in two.
 */

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** The characters of `text`; a lone surrogate counts as one (the driver sends it as U+FFFD). */
export function characterCount(text: string): number {
  let count = text.length;
  for (let index = 0; index < text.length - 1; index++) {
    if (isHighSurrogate(text.charCodeAt(index)) && isLowSurrogate(text.charCodeAt(index + 1))) {
      count--;
      index++;
    }
  }
  return count;
}

/** True for a string of `min` to `max` characters. */
export function isStringOfLength(value: unknown, min: number, max: number): value is string {
  if (typeof value !== 'string') return false;
  // A character is one or two units: `length` decides alone unless it is over `max` or under twice `min`.
  if (value.length <= max && value.length >= 2 * min) return true;
  const count = characterCount(value);
  return count >= min && count <= max;
}

/** `text` cut to its first `max` characters, never inside one. */
export function truncateCharacters(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = 0;
  for (let kept = 0; kept < max && end < text.length; kept++) {
    end += isHighSurrogate(text.charCodeAt(end)) && isLowSurrogate(text.charCodeAt(end + 1)) ? 2 : 1;
  }
  return text.slice(0, end);
}
