import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
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
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitUntil(() => run('redis-cli', ['-p', String(port), 'ping']), `redis on ${port}`);
  };
  await start();
  const kill = async () => {
    child?.kill('SIGKILL');
    await stopped(child);
  };
  return { url: `redis://127.0.0.1:${port}`, start, kill, destroy: kill };
}

/** A MariaDB server on a spare port with its data in a temporary directory. */
export async function startPrivateMariaDb(): Promise<PrivateService> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tasks-mariadb-'));
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${dir}/data`, '--auth-root-authentication-method=normal', '--skip-test-db']);
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults', `--datadir=${dir}/data`, `--port=${port}`, '--bind-address=127.0.0.1',
        `--socket=${dir}/mysqld.sock`, `--pid-file=${dir}/mysqld.pid`, '--user=root',
        '--innodb-buffer-pool-size=64M', '--skip-name-resolve',
      ],
      { stdio: 'ignore' },
    );
    await waitUntil(() => run('mariadb-admin', ['-uroot', '-h127.0.0.1', `-P${port}`, 'ping']), `mariadb on ${port}`);
  };
  await start();
  const kill = async () => {
    child?.kill('SIGKILL');
    await stopped(child);
  };
  return {
    url: `mysql://root@127.0.0.1:${port}`,
    start,
    kill,
    destroy: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
