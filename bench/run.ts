import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { dropDatabase, ensureDatabase } from '../src/config/ensure-database.js';
import { deleteRedisKeys } from '../src/config/redis-keys.js';
import { BenchReport } from './report.js';
import { readMachine } from './machine.js';
import {
  rawBullmqAdd,
  rawBullmqAddBulk,
  rawBullmqProcessing,
  tasksModuleEnqueue,
  tasksModuleEnqueueMany,
  tasksModuleProcessing,
  type BenchEnv,
  type MeteredRate,
} from './scenarios.js';
import { bareNestEnqueueHttp, tasksModuleEnqueueHttp } from './http-scenario.js';
import { workerMemory } from './memory-scenario.js';
import { largeTable } from './large-table-scenario.js';
import { rawBullmqFlows, tasksModuleWorkflows } from './workflow-scenario.js';
import { scaleOut } from './scale-out-scenario.js';
import { naiveMirrorProcessing } from './naive-mirror-scenario.js';
import { busyPercent, cpuBoundCeiling, describeCpu, stealMeter } from './process-cpu.js';
import { alternateRounds } from './rounds.js';
import { onSplitCores } from './core-split.js';
import { undoOnInterrupt } from './interrupt.js';

/**
 * `npm run bench [-- --only=e2e,naive,enqueue,split,http,workflows,scaleout,large,memory] [-- --tasks=N] [-- --seconds=S] [-- --large-rows=N]
 * [-- --memory-tasks=N] [-- --rounds=N]` (large: 1M rows by default, `--large-rows=10000000` for 10M)
 * (enqueue covers single and bulk): each scenario measures ours and its baseline in the same run
 * (rates: `--rounds` rounds of each, 5 by default, alternately; the round pair with the median
 * ratio reported, see alternateRounds), prints a table and writes bench/results.json.
 */
const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const only = args.get('only')?.split(',');
const tasks = Number(args.get('tasks') ?? 20_000);
/** Rounds of each comparison (baseline then ours, in pairs; the pair with the median ratio is reported). */
const rounds = Math.max(1, Math.floor(Number(args.get('rounds') ?? 5)) || 1);

type Scenario = (env: BenchEnv, report: BenchReport) => Promise<void>;

/** In this order: memory first, so that the worker's RSS carries nothing from the other scenarios. */
const SCENARIOS: Array<[name: string, run: Scenario]> = [
  ['memory', async (env, report) => {
    const total = Number(args.get('memory-tasks') ?? 200_000);
    const { early, late } = await workerMemory(env, total / 10, total);
    // The row is judged on RSS; the heap in use beside it shows whether a growth is live objects.
    const heap = `heap in use ${Math.round(late.heapUsed)} vs ${Math.round(early.heapUsed)} MiB`;
    report.record(`worker RSS after ${total} tasks vs after ${total / 10} (lower is better; ${heap})`, late.rss, early.rss, 1.3, 'MiB', true);
  }],
  ['e2e', (env, report) => endToEndRows(env, report, SHARED_CORES)],
  ['naive', async (env, report) => {
    const { baseline, ours } = await alternateRounds('naive mirror c50', rounds, () => naiveMirrorProcessing(env, tasks, 50), () => tasksModuleProcessing(env, tasks, 50));
    const cpu = `CPU µs/task: ${describeCpu(ours.cpu)}; naive ${describeCpu(baseline.cpu)}`;
    report.record(`end-to-end no-op, concurrency 50, vs a naive mirror (raw BullMQ, one UPDATE to running and one to completed per task; ${tasks} tasks; ${cpu})`, ours.perSecond, baseline.perSecond, 1, 'tasks/s');
  }],
  ['enqueue', async (env, report) => {
    await singleEnqueueRow(env, report, SHARED_CORES);
    const bulk = await alternateRounds('enqueue bulk', rounds, () => rawBullmqAddBulk(env, tasks), () => tasksModuleEnqueueMany(env, tasks));
    report.record(`enqueue bulk, 1000 per call (${tasks} tasks; ${cpuPerTask(bulk.ours, bulk.baseline)})`, bulk.ours.perSecond, bulk.baseline.perSecond, 0.7, 'tasks/s');
  }],
  ['split', async (env, report) => {
    const notSplit = await onSplitCores(async () => {
      await endToEndRows(env, report, SPLIT_CORES);
      await singleEnqueueRow(env, report, SPLIT_CORES);
    });
    if (typeof notSplit === 'string') console.log(`split: not measured, ${notSplit}`);
  }],
  ['http', async (env, report) => {
    const seconds = Number(args.get('seconds') ?? 10);
    const { baseline, ours } = await alternateRounds('http', rounds, () => bareNestEnqueueHttp(env, seconds), () => tasksModuleEnqueueHttp(env, seconds));
    console.log(`http: ours p50 ${ours.p50} ms p99 ${ours.p99} ms (non-2xx ${ours.non2xx}); bare p50 ${baseline.p50} ms p99 ${baseline.p99} ms`);
    report.record(`HTTP POST /enqueue, 50 connections, ${seconds} s (p50 ${ours.p50} ms, p99 ${ours.p99} ms)`, ours.perSecond, baseline.perSecond, 0.5, 'req/s');
  }],
  ['workflows', async (env, report) => {
    for (const shape of [{ kind: 'chain', length: 10, repeat: 20 }, { kind: 'group', length: 1000, repeat: 3 }] as const) {
      const perSecond = (measure: Promise<number>) => measure.then((rate) => ({ perSecond: rate }));
      const { baseline, ours } = await alternateRounds(`${shape.kind} of ${shape.length}`, rounds, () => perSecond(rawBullmqFlows(env, shape)), () => perSecond(tasksModuleWorkflows(env, shape)));
      report.record(`workflow: a ${shape.kind} of ${shape.length} no-op ${shape.kind === 'chain' ? 'steps' : 'members'}, vs a BullMQ flow (${shape.repeat} in a row)`, ours.perSecond, baseline.perSecond, 0.5, 'workflows/s');
    }
  }],
  ['scaleout', async (env, report) => {
    const { baseline: one, ours: two } = await alternateRounds('scale-out', rounds, () => scaleOut(env, tasks, 1), () => scaleOut(env, tasks, 2));
    const cpu = (rate: { mysqlCpuUsPerTask?: number }) => (rate.mysqlCpuUsPerTask === undefined ? '?' : String(rate.mysqlCpuUsPerTask));
    report.record(
      `scale-out: API process + 2 worker processes vs + 1 (${tasks} tasks; MySQL CPU ${cpu(two)} vs ${cpu(one)} µs/task)`,
      two.perSecond, one.perSecond, 1, 'tasks/s',
    );
  }],
  ['large', async (env, report) => {
    const large = Number(args.get('large-rows') ?? 1_000_000);
    const small = large / 10;
    const { small: before, large: after } = await largeTable(env, small, large);
    // Each read must stay under 10 ms at the large size and grow at most 1.5x from the small.
    for (const [name, key] of LARGE_TABLE_READS) {
      report.recordLatency(`${name}: p95 at ${large} rows vs ${small} (≤ 10 ms, growth ≤ 1.5x)`, after[key], before[key], 1.5, 10);
    }
    // The summary's size follows time and names, not rows: the baseline is a GROUP BY over the rows.
    report.recordCeiling(`stats route, windows 15m-30d, every filter: p95 at ${large} rows vs a GROUP BY over the rows (≤ 50 ms)`, after.stats, after.naiveStats, 50);
  }],
];

/** How the cores are used while a row is measured: its label, and what it says of the CPU. */
interface CoreSetting {
  /** Said after the row's name and before its rounds' label (empty for the cores shared). */
  name: string;
  rounds: string;
  cpu(ours: MeteredRate, baseline: MeteredRate): string;
}

/** Every process on every core. */
const SHARED_CORES: CoreSetting = { name: '', rounds: '', cpu: cpuPerTask };
/** MariaDB on a core of its own (see onSplitCores): no busy share or ceiling, which count every core as shared. */
const SPLIT_CORES: CoreSetting = {
  name: ', MariaDB on a core of its own',
  rounds: 'split ',
  cpu: (ours, baseline) => `CPU µs/task: ${describeCpu(ours.cpu)}; raw ${describeCpu(baseline.cpu)}`,
};

/**
 * End-to-end no-op tasks at concurrency 50 and 200 against raw BullMQ (target 0.6), with the CPU
 * per task of each process (this one runs the app or the raw worker; MySQL and Redis from /proc,
 * including this bench's status polls): which of them limits the run.
 */
async function endToEndRows(env: BenchEnv, report: BenchReport, cores: CoreSetting): Promise<void> {
  for (const concurrency of [50, 200]) {
    const { baseline, ours } = await alternateRounds(`${cores.rounds}e2e c${concurrency}`, rounds, () => rawBullmqProcessing(env, tasks, concurrency), () => tasksModuleProcessing(env, tasks, concurrency));
    report.record(`end-to-end no-op, concurrency ${concurrency}${cores.name} (${tasks} tasks; ${cores.cpu(ours, baseline)})`, ours.perSecond, baseline.perSecond, 0.6, 'tasks/s');
  }
}

/** Single enqueue from 50 concurrent callers against raw `queue.add` (target 0.5), CPU per task as for end-to-end. */
async function singleEnqueueRow(env: BenchEnv, report: BenchReport, cores: CoreSetting): Promise<void> {
  const { baseline, ours } = await alternateRounds(`${cores.rounds}enqueue single`, rounds, () => rawBullmqAdd(env, tasks, 50), () => tasksModuleEnqueue(env, tasks, 50));
  report.record(`enqueue single, 50 concurrent callers${cores.name} (${tasks} tasks; ${cores.cpu(ours, baseline)})`, ours.perSecond, baseline.perSecond, 0.5, 'tasks/s');
}

/**
 * `CPU µs/task: Node …, MySQL …, Redis …, steal … %, cores … % busy; raw Node …; CPU-bound
 * ceiling …` for a row's reported pair of rounds: the ceiling is the ratio ours would reach with every
 * core busy at its CPU per task (see cpuBoundCeiling).
 */
function cpuPerTask(ours: MeteredRate, baseline: MeteredRate): string {
  // The cores machine.json records for the run.
  const cores = cpus().length;
  const described = (rate: MeteredRate) => {
    const busy = busyPercent(rate.perSecond, rate.cpu, cores);
    return `${describeCpu(rate.cpu)}${busy === undefined ? '' : `, cores ${busy} % busy`}`;
  };
  const ceiling = cpuBoundCeiling(ours.cpu, baseline.perSecond, cores);
  return `CPU µs/task: ${described(ours)}; raw ${described(baseline)}${ceiling === undefined ? '' : `; CPU-bound ceiling ${ceiling}`}`;
}

const LARGE_TABLE_READS = [
  ['list first page, every filter', 'firstPage'],
  ['list deep pages by cursor', 'deepPage'],
  ['count, every filter', 'count'],
  ['list first page, every filter with error_type', 'firstPageByClass'],
  ['count, every filter with error_type', 'countByClass'],
] as const;

async function main(): Promise<void> {
  const runId = randomBytes(3).toString('hex');
  const databaseUrl = `${process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'}/tasks_bench_${runId}`;
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  let counter = 0;
  const env: BenchEnv = { databaseUrl, redisUrl, nextPrefix: () => `tasks-bench-${runId}-${counter++}` };
  await ensureDatabase(databaseUrl);
  const cleanUp = async () => {
    await dropDatabase(databaseUrl);
    // What the run left in Redis (queue metadata, relay registrations).
    await deleteRedisKeys(redisUrl, `tasks-bench-${runId}-*`);
  };
  const done = undoOnInterrupt(cleanUp);
  const machine = await readMachine(databaseUrl, redisUrl);
  const report = new BenchReport();
  const runSteal = stealMeter();
  try {
    for (const [name, run] of SCENARIOS) {
      if (only && !only.includes(name)) continue;
      const steal = stealMeter();
      await run(env, report);
      console.log(`${name}: the hypervisor took ${steal.percent() ?? '?'} % of the machine's CPU time`);
    }
  } finally {
    done();
    await cleanUp();
  }
  machine.stealPercent = runSteal.percent();
  report.print();
  console.log(`MySQL ${machine.mysql} (buffer pool ${machine.bufferPoolMiB} MiB), Redis ${machine.redis}; CPU steal over the run ${machine.stealPercent ?? '?'} %`);
  const beside = (file: string) => new URL(`./${file}`, import.meta.url.replace('/dist/bench/', '/bench/'));
  await writeFile(beside('results.json'), `${JSON.stringify(report.results, null, 2)}\n`);
  // The machine of that run, beside its results (results.json keeps its format).
  await writeFile(beside('machine.json'), `${JSON.stringify(machine, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
