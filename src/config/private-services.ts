import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A server this test owns and may kill and restart, unlike the machine's own services. */
export interface PrivateService {
  url: string;
  /** SIGKILLs the server (nothing is flushed). */
  kill(): Promise<void>;
  /** Starts it again on the same port (and, for MariaDB, the same data). */
  start(): Promise<void>;
  /** Stops it for good and deletes its files. */
  destroy(): Promise<void>;
}

/** A TCP port nobody listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntil(probe: () => Promise<unknown>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not start: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function stopped(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A Redis server on a spare port that keeps nothing on disk, so a restart loses its data. */
export async function startPrivateRedis(): Promise<PrivateService> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
    await waitUntil(() => run('redis-cli', ['-p', String(port), 'ping']), `redis on ${port}`);
  };
  await start();
  const kill = async () => {
    child?.kill('SIGKILL');
    await stopped(child);
  };
  return { url: `redis://127.0.0.1:${port}`, start, kill, destroy: kill };
}

/** MySQL 8's default `sql_mode`, which production servers run with. */
export const MYSQL8_SQL_MODE = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

/** A private MariaDB that can also hand out least-privileged application databases. */
export interface PrivateMariaDb extends PrivateService {
  /**
   * Creates database `name` and a user that holds `ALL` on it and nothing else (no SUPER, no
   * global privilege), as production databases are set up; returns that user's URL to it.
   */
  createAppDatabase(name: string): Promise<string>;
}

/**
 * A MariaDB server on a spare port with its data in a temporary directory. Configured as
 * production servers are: binary logging on (MySQL 8's default), MySQL 8's default
 * `sql_mode`, `log_bin_trust_function_creators` left at 0.
 */
export async function startPrivateMariaDb(): Promise<PrivateMariaDb> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tasks-mariadb-'));
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${dir}/data`, '--auth-root-authentication-method=normal', '--skip-test-db']);
  await mkdir(join(dir, 'tmp'));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('/usr/sbin/mariadbd', mariadbArguments(dir, port), { stdio: 'ignore' });
    await waitUntil(() => run('mariadb-admin', ['-uroot', '-h127.0.0.1', `-P${port}`, 'ping']), `mariadb on ${port}`);
  };
  await start();
  const kill = async () => {
    child?.kill('SIGKILL');
    await stopped(child);
  };
  return {
    url: `mysql://root@127.0.0.1:${port}`,
    createAppDatabase: (name) => createAppDatabase(port, name),
    start,
    kill,
    destroy: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The server's options: a private data directory and port, and production's settings. */
function mariadbArguments(dir: string, port: number): string[] {
  return [
    '--no-defaults', `--datadir=${dir}/data`, `--port=${port}`, '--bind-address=127.0.0.1',
    `--socket=${dir}/mysqld.sock`, `--pid-file=${dir}/mysqld.pid`, '--user=root',
    // A temporary directory of its own: at startup MariaDB deletes every `#sql*` file in its
    // tmpdir, which in a shared /tmp are the live temporary tables of the other servers.
    `--tmpdir=${dir}/tmp`,
    '--innodb-buffer-pool-size=64M', '--skip-name-resolve',
    `--log-bin=${dir}/binlog`, '--server-id=1', '--binlog-format=ROW', `--sql-mode=${MYSQL8_SQL_MODE}`,
  ];
}

/** Database `name` and a user with ALL on it and nothing else; returns that user's URL. */
async function createAppDatabase(port: number, name: string): Promise<string> {
  const user = `app_${name}`.slice(0, 32);
  await run('mariadb', [
    '-uroot', '-h127.0.0.1', `-P${port}`, '-e',
    `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; ` +
      `CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY 'app-password'; GRANT ALL ON \`${name}\`.* TO '${user}'@'%';`,
  ]);
  return `mysql://${user}:app-password@127.0.0.1:${port}/${name}`;
}
