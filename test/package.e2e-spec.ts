import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dropDatabase, ensureDatabase } from '../src/config/ensure-database.js';
import { deleteRedisKeys } from '../src/config/redis-keys.js';
import { MYSQL_SERVER_URL, REDIS_URL, uniqueSuiteId } from './support/test-app.js';

const run = promisify(execFile);
const ROOT = process.cwd();

/** Runs a command in `cwd`; resolves with its output, rejects with it on a non-zero exit. */
function sh(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

/**
 * The package as a user gets it: `npm pack`, installed (the tarball and its peers only) into a
 * Nest application outside the repository, type-checked and built with tsc, then run against
 * MariaDB and Redis, where it enqueues a task through TasksService and sees it complete.
 */
describe('the npm package, installed into an application of its own', () => {
  const id = uniqueSuiteId('package');
  const databaseUrl = `${MYSQL_SERVER_URL}/tasks_test_${id}`;
  const queuePrefix = `tasks-test-${id}`;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tasks-package-'));
    await ensureDatabase(databaseUrl);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
    await deleteRedisKeys(REDIS_URL, `${queuePrefix}:*`);
  });

  it('packs, installs, type-checks, builds, boots and completes a task', async () => {
    // `npm test` has built dist/ already; packing must not rebuild it under the other suites.
    const packed = (await sh('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], ROOT)).trim().split('\n').at(-1)!;
    const ours = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; peerDependencies: Record<string, string> };
    const app = join(dir, 'app');
    await cp(join(ROOT, 'test/package/scratch-app'), app, { recursive: true });
    // The tarball and the peers it asks for (at the versions this repository tests), nothing else.
    const peers = Object.fromEntries(Object.keys(ours.peerDependencies).map((name) => [name, ours.devDependencies[name]]));
    await writeFile(join(app, 'package.json'), JSON.stringify({
      name: 'scratch-app', private: true, type: 'module',
      dependencies: { 'tasks-module': `file:${join(dir, packed)}`, ...peers, '@types/node': ours.devDependencies['@types/node'] },
      overrides: { 'msgpackr-extract': '3.0.4' },
    }, null, 2));
    await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
    await sh(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    const output = await sh(process.execPath, ['dist/main.js'], app, { DATABASE_URL: databaseUrl, REDIS_URL, QUEUE_PREFIX: queuePrefix });
    expect(output).toContain('RESULT completed {"text":"Hello, package","attempt":1} count=1');
    // The CLI comes as the package's bin, and finds the migrations the app already ran.
    const bin = join(app, 'node_modules/.bin/tasks-module');
    expect(await sh(bin, ['--help'], app)).toContain('Usage: tasks-module <command>');
    expect(JSON.parse(await sh(bin, ['migrate', '--json'], app, { DATABASE_URL: databaseUrl }))).toEqual({ migrations: [] });
    // The package holds the library and its migrations, not the demo, the tests or the sources.
    const { stdout } = await run('tar', ['-tzf', join(dir, packed)]);
    const files = stdout.split('\n').filter(Boolean);
    expect(files.some((file) => file.startsWith('package/dist/src/tasks/index.js'))).toBe(true);
    expect(files.some((file) => file.startsWith('package/dist/migrations/index.js'))).toBe(true);
    // The dashboard's page and scripts ship in the package (no CDN).
    expect(files).toEqual(expect.arrayContaining(['package/dist/src/tasks/dashboard/assets/index.html', 'package/dist/src/tasks/dashboard/assets/app.js']));
    expect(files.filter((file) => /\/(demo|test|bench)\/|\.ts$(?<!\.d\.ts)|data-source|src\/main\.js/.test(file))).toEqual([]);
  }, 240_000);
});
