import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { undoOnInterrupt } from './interrupt.js';
import { MYSQL_SERVER, REDIS_SERVER, serverPid } from './process-cpu.js';

/** CPU affinity masks (hex, as `taskset` reads and writes them) of a split of the machine's cores. */
export interface CoreSplit {
  /** MariaDB's: the last core. */
  database: string;
  /** This process's and Redis's: every other core. */
  rest: string;
}

/**
 * How `cores` cores are split so that MariaDB has a core of its own, as it has its own host in
 * a deployment; undefined with fewer than two cores.
 */
export function coreSplit(cores: number): CoreSplit | undefined {
  if (cores < 2) return undefined;
  const all = (1n << BigInt(cores)) - 1n;
  const database = 1n << BigInt(cores - 1);
  return { database: database.toString(16), rest: (all & ~database).toString(16) };
}

/** The mask in `taskset -p`'s answer (`pid 42's current affinity mask: 3`). */
export function parseAffinity(answer: string): string {
  const mask = /affinity mask: ([0-9a-f]+)\s*$/i.exec(answer.trim())?.[1];
  if (!mask) throw new Error(`Unexpected answer from taskset: ${answer.trim()}`);
  return mask;
}

const affinityOf = (pid: number) => parseAffinity(execFileSync('taskset', ['-p', String(pid)], { encoding: 'utf8' }));
/** Every thread of `pid` (MariaDB's connection threads, V8's and libuv's) on the cores of `mask`. */
const setAffinity = (pid: number, mask: string) => execFileSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });

/**
 * Runs `measure` with MariaDB alone on the machine's last core and this process and Redis on
 * the others, then gives every process its cores back. On these machines MariaDB otherwise
 * takes its share of the cores the worker and Redis need (the end-to-end rows' CPU per task
 * shows how much); with a core of its own it stands for a MySQL on another host, for ours and
 * the baseline alike, each keeping the same cores for Node and Redis. A string says why the
 * split could not be made (one core; no `taskset`; servers this user may not move, or not
 * local); nothing is measured then.
 */
export async function onSplitCores<T>(measure: () => Promise<T>): Promise<T | string> {
  const split = coreSplit(cpus().length);
  if (!split) return 'one core: nothing to split';
  const saved: Array<[pid: number, mask: string]> = [];
  const restore = () => {
    for (const [pid, mask] of saved.splice(0)) {
      try {
        setAffinity(pid, mask);
      } catch {
        // That process has ended (a server restarted meanwhile): the others still get theirs back.
      }
    }
  };
  try {
    const planned: Array<[pid: number, mask: string]> = [[serverPid(MYSQL_SERVER), split.database], [serverPid(REDIS_SERVER), split.rest], [process.pid, split.rest]];
    for (const [pid, mask] of planned) {
      saved.push([pid, affinityOf(pid)]);
      setAffinity(pid, mask);
    }
  } catch (error) {
    restore();
    return `cores not split (${(error as Error).message.split('\n')[0]})`;
  }
  // Ctrl-C in the middle must not leave the local servers pinned to one core.
  const done = undoOnInterrupt(restore);
  try {
    return await measure();
  } finally {
    done();
    restore();
  }
}
