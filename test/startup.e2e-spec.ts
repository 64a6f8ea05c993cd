import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from '@jest/globals';
import mysql from 'mysql2/promise';
import { dropDatabase } from '../src/config/ensure-database.js';
import { freePort } from './support/private-services.js';
import { MYSQL_SERVER_URL, REDIS_URL, uniqueSuiteId } from './support/test-app.js';

/** Runs the demo (`npm start`'s command, built by `npm test`) and returns how it ended. */
function startDemo(env: Record<string, string>): Promise<{ code: number | null; ms: number; output: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['dist/src/main.js'], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A start that hangs is a failure too: stop it after 15 s.
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, ms: Date.now() - started, output });
    });
  });
}

/** The "Startup failed:" lines of an output. */
const failureLines = (output: string) => output.split('\n').filter((line) => line.startsWith('Startup failed:'));

describe('a first run that explains itself (the demo, real processes)', () => {
  const database = `tasks_test_${uniqueSuiteId('startup')}`;
  const user = `ro_${uniqueSuiteId('startup')}`.slice(0, 32);
  afterAll(async () => {
    await dropDatabase(`${MYSQL_SERVER_URL}/${database}`);
    const root = await mysql.createConnection(MYSQL_SERVER_URL);
    await root.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await root.end();
  });

  it('exits within 10 s with one line naming DATABASE_URL when MySQL is unreachable', async () => {
    const port = await freePort();
    const { code, ms, output } = await startDemo({ DATABASE_URL: `mysql://root@127.0.0.1:${port}/tasks`, REDIS_URL });
    expect(code).not.toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(failureLines(output)).toEqual([`Startup failed: Cannot reach MySQL at 127.0.0.1:${port}/tasks (DATABASE_URL): ECONNREFUSED. Start MariaDB or MySQL there, or set DATABASE_URL to yours.`]);
  }, 20_000);

  it('exits within 10 s with one line naming DATABASE_URL when MySQL refuses the credentials', async () => {
    const server = new URL(MYSQL_SERVER_URL);
    const { code, ms, output } = await startDemo({ DATABASE_URL: `mysql://nobody:wrong@${server.host}/tasks`, REDIS_URL });
    expect(code).not.toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(failureLines(output)).toHaveLength(1);
    expect(failureLines(output)[0]).toMatch(/^Startup failed: MySQL at .* refused user "nobody" \(DATABASE_URL\): Access denied/);
  }, 20_000);

  /** A user of `database` with only these privileges on it. */
  async function userWith(privileges: string): Promise<string> {
    const root = await mysql.createConnection(MYSQL_SERVER_URL);
    await root.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
    await root.query(`CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY 'pw'`);
    await root.query(`REVOKE ALL PRIVILEGES, GRANT OPTION FROM '${user}'@'%'`);
    await root.query(`GRANT ${privileges} ON \`${database}\`.* TO '${user}'@'%'`);
    await root.end();
    return `mysql://${user}:pw@${new URL(MYSQL_SERVER_URL).host}/${database}`;
  }

  it('exits within 10 s with one line when the user lacks a privilege on its database', async () => {
    const { code, ms, output } = await startDemo({ DATABASE_URL: await userWith('SELECT'), REDIS_URL });
    expect(code).not.toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(failureLines(output)).toEqual([
      `Startup failed: MySQL user "${user}" lacks a privilege on ${new URL(MYSQL_SERVER_URL).host}/${database} (DATABASE_URL): Access denied for user '${user}'@'%' to database '${database}'. It needs ALL on its database.`,
    ]);
  }, 20_000);

  it('names the migration that failed and the server\'s message, once, instead of retrying', async () => {
    const { code, ms, output } = await startDemo({ DATABASE_URL: await userWith('SELECT, CREATE'), REDIS_URL });
    expect(code).not.toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(failureLines(output)).toHaveLength(1);
    expect(failureLines(output)[0]).toMatch(new RegExp(`^Startup failed: Migration CreateBackgroundTasks1763800000000 failed on .*/${database} \\(DATABASE_URL\\): INSERT command denied to user '${user}'`));
    expect(output).not.toMatch(/Unable to connect to the database|Retrying/);
  }, 20_000);

  it('exits within 10 s with one line naming REDIS_URL when Redis is unreachable', async () => {
    const port = await freePort();
    const { code, ms, output } = await startDemo({ DATABASE_URL: `${MYSQL_SERVER_URL}/${database}`, REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(code).not.toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(failureLines(output)).toEqual([
      `Startup failed: Redis at redis://127.0.0.1:${port} did not answer within 5000 ms (TasksModule option "redis"); is it running? Set REDIS_URL, or start Redis (redis-server --daemonize yes).`,
    ]);
  }, 20_000);
});
