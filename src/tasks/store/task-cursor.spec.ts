import { describe, expect, it } from '@jest/globals';
import { decodeTaskCursor, encodeTaskCursor } from './task-cursor.js';

describe('task cursors', () => {
  it('round-trips the position of a row', () => {
    const createdAt = new Date('2026-11-22T07:00:00.123Z');
    expect(decodeTaskCursor(encodeTaskCursor({ createdAt, id: 42 }))).toEqual({ createdAt, id: 42 });
  });

  it.each(['', 'not-a-cursor', Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('[1,0]').toString('base64url'), Buffer.from('["a",1]').toString('base64url')])(
    'refuses %p',
    (cursor) => {
      expect(decodeTaskCursor(cursor)).toBeUndefined();
    },
  );
});
