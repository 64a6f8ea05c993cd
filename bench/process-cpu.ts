import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * The CPU time (ms) a local server process (`pgrep -x` pattern) has used so far, from /proc;
 * undefined when it cannot be read (a server on another host, no /proc).
 */
function serverCpuMs(pattern: string): number | undefined {
  try {
    const pid = execFileSync('pgrep', ['-o', '-x', pattern], { encoding: 'utf8' }).trim().split('\n')[0];
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th of the line.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** MariaDB's (or MySQL's) CPU time so far (ms): read before and after a scenario, MySQL's CPU per task. */
export function mysqlCpuMs(): number | undefined {
  return serverCpuMs('mariadbd|mysqld');
}

/** CPU per item (µs) over a span: this Node process's, MySQL's and Redis's (undefined when unreadable). */
export interface CpuPerItem {
  node: number;
  mysql?: number;
  redis?: number;
}

/**
 * Starts measuring the CPU this process, the local MySQL and the local Redis use; `perItem(n)`
 * divides what they used since by `n`. Printed with the end-to-end figures, it shows which of the
 * three limits a run, for ours and for the raw BullMQ baseline alike.
 */
export function cpuMeter(): { perItem(items: number): CpuPerItem } {
  const node = process.cpuUsage();
  const mysql = mysqlCpuMs();
  const redis = serverCpuMs('redis-server');
  const since = (before: number | undefined, after: number | undefined, items: number) =>
    before === undefined || after === undefined ? undefined : Math.round(((after - before) * 1000) / items);
  return {
    perItem(items) {
      const used = process.cpuUsage(node);
      return { node: Math.round((used.user + used.system) / items), mysql: since(mysql, mysqlCpuMs(), items), redis: since(redis, serverCpuMs('redis-server'), items) };
    },
  };
}

/** `Node 344, MySQL 161, Redis 139` (what could be read). */
export function describeCpu(cpu: CpuPerItem): string {
  return [`Node ${cpu.node}`, cpu.mysql === undefined ? '' : `MySQL ${cpu.mysql}`, cpu.redis === undefined ? '' : `Redis ${cpu.redis}`].filter(Boolean).join(', ');
}
