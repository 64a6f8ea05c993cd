import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { round } from './report.js';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The local servers' process names, as `pgrep -x` patterns. */
export const MYSQL_SERVER = 'mariadbd|mysqld';
export const REDIS_SERVER = 'redis-server';

/** The oldest local process named by `pattern` (`pgrep -x`); throws when there is none. */
export function serverPid(pattern: string): number {
  return Number(execFileSync('pgrep', ['-o', '-x', pattern], { encoding: 'utf8' }).trim().split('\n')[0]);
}

/**
 * The CPU time (ms) a local server process (`pgrep -x` pattern) has used so far, from /proc;
 * undefined when it cannot be read (a server on another host, no /proc).
 */
function serverCpuMs(pattern: string): number | undefined {
  try {
    const pid = serverPid(pattern);
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th of the line.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** MariaDB's (or MySQL's) CPU time so far (ms): read before and after a scenario, MySQL's CPU per task. */
export function mysqlCpuMs(): number | undefined {
  return serverCpuMs(MYSQL_SERVER);
}

/** The machine's CPU ticks so far, all cores (/proc/stat's first line): in all, and those the hypervisor took (steal). */
function machineTicks(): { total: number; steal: number } | undefined {
  try {
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: fields.reduce((sum, ticks) => sum + ticks, 0), steal: fields[7] };
  } catch {
    return undefined;
  }
}

/**
 * Starts measuring the share of the machine's CPU time its hypervisor gave to other guests
 * (steal); `percent()` gives it since, undefined without /proc. The rates of these virtual
 * machines swing up to 3x within a day: a run that says how much time was stolen tells that
 * cause from the others (a neighbour's load on shared caches and memory shows as no steal).
 */
export function stealMeter(): { percent(): number | undefined } {
  const before = machineTicks();
  return {
    percent() {
      const after = machineTicks();
      if (!before || !after || after.total === before.total) return undefined;
      return Math.round(((after.steal - before.steal) * 100) / (after.total - before.total));
    },
  };
}

/** CPU per item (µs) over a span: this Node process's, MySQL's and Redis's (undefined when unreadable); and the machine's steal (%). */
export interface CpuPerItem {
  node: number;
  mysql?: number;
  redis?: number;
  steal?: number;
}

/**
 * Starts measuring the CPU this process, the local MySQL and the local Redis use; `perItem(n)`
 * divides what they used since by `n`. Printed with the end-to-end figures, it shows which of the
 * three limits a run, for ours and for the raw BullMQ baseline alike.
 */
export function cpuMeter(): { perItem(items: number): CpuPerItem } {
  const node = process.cpuUsage();
  const mysql = mysqlCpuMs();
  const redis = serverCpuMs(REDIS_SERVER);
  const steal = stealMeter();
  const since = (before: number | undefined, after: number | undefined, items: number) =>
    before === undefined || after === undefined ? undefined : Math.round(((after - before) * 1000) / items);
  return {
    perItem(items) {
      const used = process.cpuUsage(node);
      return {
        node: Math.round((used.user + used.system) / items),
        mysql: since(mysql, mysqlCpuMs(), items),
        redis: since(redis, serverCpuMs(REDIS_SERVER), items),
        steal: steal.percent(),
      };
    },
  };
}

/** The CPU the three processes together spent per item (µs); undefined unless each could be read. */
export function totalCpu(cpu: CpuPerItem): number | undefined {
  return cpu.mysql === undefined || cpu.redis === undefined ? undefined : cpu.node + cpu.mysql + cpu.redis;
}

/** The share (%) of `cores` that `perSecond` items kept busy at `cpu` per item (the three processes). */
export function busyPercent(perSecond: number, cpu: CpuPerItem, cores: number): number | undefined {
  const total = totalCpu(cpu);
  return total === undefined ? undefined : Math.round((perSecond * total) / (cores * 10_000));
}

/**
 * The highest ratio to `baselinePerSecond` that ours could reach on `cores` at its CPU per item,
 * were every core busy all the time: above a target, the CPU per item alone cannot be what
 * misses it; below, no gain in concurrency can reach the target without less CPU per item.
 */
export function cpuBoundCeiling(oursCpu: CpuPerItem, baselinePerSecond: number, cores: number): number | undefined {
  const total = totalCpu(oursCpu);
  return total === undefined || total === 0 ? undefined : round((cores * 1e6) / total / baselinePerSecond, 2);
}

/** `Node 344, MySQL 161, Redis 139, steal 4 %` (what could be read). */
export function describeCpu(cpu: CpuPerItem): string {
  const optional = (value: number | undefined, text: string) => (value === undefined ? [] : [text]);
  return [`Node ${cpu.node}`, ...optional(cpu.mysql, `MySQL ${cpu.mysql}`), ...optional(cpu.redis, `Redis ${cpu.redis}`), ...optional(cpu.steal, `steal ${cpu.steal} %`)].join(', ');
}
