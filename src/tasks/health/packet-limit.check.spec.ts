import { describe, expect, it } from '@jest/globals';
import { packetProblems } from './packet-limit.check.js';

describe('packetProblems', () => {
  const packet = 16 * 1024 * 1024;
  const third = Math.floor(packet / 3);

  it('accepts the defaults and both limits at a third of the packet', () => {
    expect(packetProblems({ maxParamsBytes: 64 * 1024, maxResultBytes: 1024 * 1024 }, packet)).toEqual([]);
    expect(packetProblems({ maxParamsBytes: third, maxResultBytes: third }, packet)).toEqual([]);
  });

  it('names each limit over a third of the packet, with the largest it may be', () => {
    expect(packetProblems({ maxParamsBytes: third + 1, maxResultBytes: 1024 }, packet)).toEqual([
      `maxParamsBytes (${third + 1}) is over a third of MySQL's max_allowed_packet (${packet} bytes): a value that large could never be written (MySQL drops the connection of a larger statement). Set maxParamsBytes to at most ${third}, or raise max_allowed_packet on the server.`,
    ]);
    // MySQL 5.5's default packet (1 MiB) is too small for the default maxResultBytes.
    expect(packetProblems({ maxParamsBytes: 64 * 1024, maxResultBytes: 1024 * 1024 }, 1024 * 1024)).toEqual([expect.stringMatching(/^maxResultBytes \(1048576\) .* at most 349525,/)]);
  });
});
