import type { DataSource } from 'typeorm';
import { BackgroundTask, encodeTaskCursor, TASK_ERROR_TYPES, TasksService, TaskStatus, type TaskFilter } from 'tasks-module';
import { dropDatabase, ensureDatabase } from '../src/config/ensure-database.js';
import { createBenchApp, resetTasksTable } from './bench-app.js';
import { seedTable, TYPES } from './large-table-seed.js';
import type { BenchEnv } from './scenarios.js';

/** p95 latencies (ms) of the read paths at one table size. */
export interface ReadLatencies {
  firstPage: number;
  deepPage: number;
  count: number;
  /** The same with an `error_type` filter (alone and with every status and type). */
  firstPageByClass: number;
  countByClass: number;
}

/** The stats route against what a mirror without the summary does, at the large size. */
export interface StatsLatencies {
  /** `getTaskStats` (what GET /stats serves) over windows from 15 minutes to 30 days, alone and filtered. */
  stats: number;
  /** The same outcomes by a plain GROUP BY over `background_tasks` (what a mirror without the summary does). */
  naiveStats: number;
}

type Samples = { [read in keyof ReadLatencies]: number[] };

const ROUNDS = 10;
/**
 * Deep pages per round: 200 in all, not fewer: the p95 of 40 samples is their second slowest,
 * one hiccup of the machine. Ten rounds: the p95 of a sub-millisecond count is then the 23rd
 * slowest of 450 rather than the 12th of 225.
 */
const DEEP_PAGES_PER_ROUND = 20;

/** One table size: its own database and app, so that the two sizes can be read in alternation. */
interface SeededTable {
  service: TasksService;
  dataSource: DataSource;
  maxId: number;
  close(): Promise<void>;
}

function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
}

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Every filter combination of the list and count routes: none, each status, each type, each pair. */
function filters(): TaskFilter[] {
  const statuses = Object.values(TaskStatus);
  return [
    {},
    ...statuses.map((status) => ({ status })),
    ...TYPES.map((taskType) => ({ taskType })),
    ...statuses.flatMap((status) => TYPES.map((taskType) => ({ status, taskType }))),
  ];
}

/** Each failure class alone and with every status, every type and every pair. */
function classFilters(): TaskFilter[] {
  return TASK_ERROR_TYPES.flatMap((errorType) => filters().map((filter) => ({ ...filter, errorType })));
}

async function openTable(env: BenchEnv, rows: number): Promise<SeededTable> {
  await ensureDatabase(env.databaseUrl);
  const { app, dataSource, close } = await createBenchApp({
    databaseUrl: env.databaseUrl,
    redisUrl: env.redisUrl,
    queuePrefix: env.nextPrefix(),
    concurrency: 1,
    otherQueues: TYPES.map((type) => ({ name: type, taskType: type, defaultPriority: 5, concurrency: 1 })),
    // The two tables' apps are open at once in this process.
    dataSourceName: `table_${rows}`,
  });
  const service = app.get(TasksService);
  await resetTasksTable(dataSource);
  await seedTable(dataSource, service, rows);
  const [{ n }]: { n: string }[] = await dataSource.query('SELECT MAX(id) AS n FROM background_tasks');
  // One untimed pass: the p95 is of reads from a warm buffer pool (the steady state of a serving
  // database), not of the first touch of each index after seeding.
  for (const filter of [...filters(), ...classFilters()]) {
    await service.listTasks({ ...filter, limit: 100 });
    await service.getTaskCount(filter);
  }
  return { service, dataSource, maxId: Number(n), close };
}

type TableRead = (table: SeededTable, index: number) => Promise<unknown>;

/**
 * Times `read` on each table in turn, which one goes first alternating from one pair of this
 * read to the next: the two sizes are read at the same moments, so a hiccup of the machine (a
 * flush, another process, a GC) lands on both rather than on whichever size was being read.
 */
async function timePair(tables: SeededTable[], samples: Samples[], key: keyof Samples, read: TableRead): Promise<void> {
  for (const index of samples[0][key].length % 2 === 1 ? [1, 0] : [0, 1]) samples[index][key].push(await timed(() => read(tables[index], index)));
}

/** One round of every read, on both tables read by turns: first pages and counts under every filter, and deep pages of 1,000. */
async function measureRound(tables: SeededTable[], samples: Samples[]): Promise<void> {
  const pair = (key: keyof Samples, read: TableRead) => timePair(tables, samples, key, read);
  for (const filter of filters()) {
    await pair('firstPage', ({ service }) => service.listTasks({ ...filter, limit: 100 }));
    await pair('count', ({ service }) => service.getTaskCount(filter));
  }
  for (const filter of classFilters()) {
    await pair('firstPageByClass', ({ service }) => service.listTasks({ ...filter, limit: 100 }));
    await pair('countByClass', ({ service }) => service.getTaskCount(filter));
  }
  // Deep pages start after rows picked at random over the whole table, as a client holding a
  // cursor from anywhere would read them.
  const cursors = await Promise.all(tables.map(async (table) => {
    const rows = table.dataSource.getRepository(BackgroundTask);
    const picked: string[] = [];
    while (picked.length < DEEP_PAGES_PER_ROUND) {
      const row = await rows.findOneBy({ id: 1 + Math.floor(Math.random() * table.maxId) });
      if (row) picked.push(encodeTaskCursor(row));
    }
    return picked;
  }));
  for (let page = 0; page < DEEP_PAGES_PER_ROUND; page++) {
    await pair('deepPage', ({ service }, index) => service.listTasks({ limit: 1000, cursor: cursors[index][page] }));
  }
}

/** The baseline: outcomes per type, name, status and class with durations, straight from the rows. */
async function measureNaiveStats(dataSource: DataSource): Promise<number> {
  const samples: number[] = [];
  for (const hours of [1, 24, 720]) {
    for (let round = 0; round < 2; round++) {
      samples.push(await timed(() => dataSource.query(
        `SELECT task_type, task_name, status, error_type, COUNT(*) AS n, AVG(TIMESTAMPDIFF(MICROSECOND, started_at, completed_at)) AS mean
           FROM background_tasks WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at >= NOW() - INTERVAL ? HOUR
          GROUP BY task_type, task_name, status, error_type`,
        [hours],
      )));
    }
  }
  return p95(samples);
}

/** Windows of the stats route, alone and with a type or a name filter (a warm pass first). */
async function measureStats(service: TasksService): Promise<number> {
  const windows = ['15m', '1h', '6h', '24h', '7d', '30d'].map((window) => Number(window.slice(0, -1)) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[window.slice(-1) as 'm' | 'h' | 'd']);
  const inputs = windows.flatMap((windowMs) => [{ windowMs }, { windowMs, taskType: 'email' }, { windowMs, taskName: 'bench.report.1' }]);
  for (const input of inputs) await service.getTaskStats(input);
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) for (const input of inputs) samples.push(await timed(() => service.getTaskStats(input)));
  return p95(samples);
}

const emptySamples = (): Samples => ({ firstPage: [], deepPage: [], count: [], firstPageByClass: [], countByClass: [] });
const p95s = (samples: Samples): ReadLatencies => ({
  firstPage: p95(samples.firstPage), deepPage: p95(samples.deepPage), count: p95(samples.count),
  firstPageByClass: p95(samples.firstPageByClass), countByClass: p95(samples.countByClass),
});

/**
 * Read latencies at `small` rows and at `large` rows: two tables in two databases on the same
 * MariaDB, each seeded, settled and read once untimed, then every read timed on one size and
 * at once on the other, so that whatever else the machine does weighs on both sizes alike (the
 * growth from one to the other is the table's, not the moment's). Then the stats route at the large size.
 */
export async function largeTable(env: BenchEnv, small: number, large: number): Promise<{ small: ReadLatencies; large: ReadLatencies & StatsLatencies }> {
  const smallEnv = { ...env, databaseUrl: `${env.databaseUrl}_small` };
  const tables: SeededTable[] = [];
  try {
    tables.push(await openTable(smallEnv, small), await openTable(env, large));
    const [atSmall, atLarge] = [emptySamples(), emptySamples()];
    for (let round = 0; round < ROUNDS; round++) await measureRound(tables, [atSmall, atLarge]);
    const { service, dataSource } = tables[1];
    const stats = { stats: await measureStats(service), naiveStats: await measureNaiveStats(dataSource) };
    return { small: p95s(atSmall), large: { ...p95s(atLarge), ...stats } };
  } finally {
    for (const table of tables) {
      await resetTasksTable(table.dataSource);
      await table.close();
    }
    await dropDatabase(smallEnv.databaseUrl);
  }
}
