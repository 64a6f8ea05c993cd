/**
 * Text lengths as MySQL counts a `VARCHAR(n)`'s: in characters (code points). JavaScript's
 * `length` counts UTF-16 units, two for each character beyond the Basic Multilingual Plane (an
 * emoji, a rare CJK ideograph), so a limit checked with it refuses text the column holds, and a
 * cut made with it can split a character in two. A string's iterator walks code points (a lone
 * surrogate as one, which the driver sends as U+FFFD).
 */

/** The characters of `text`. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
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
  let kept = 0;
  let end = 0;
  for (const character of text) {
    if (kept++ === max) break;
    end += character.length;
  }
  return text.slice(0, end);
}
