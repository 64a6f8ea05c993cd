import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * The CPU time (ms) the local MariaDB/MySQL server process has used so far, from /proc; undefined
 * when it cannot be read (a server on another host, no /proc). Read before and after a scenario,
 * it gives MySQL's CPU per task: the figure that limits the mirror.
 */
export function mysqlCpuMs(): number | undefined {
  try {
    const pid = execFileSync('pgrep', ['-o', '-x', 'mariadbd|mysqld'], { encoding: 'utf8' }).trim().split('\n')[0];
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th of the line.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
