import 'reflect-metadata';
import { cpus, totalmem } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { dropDatabase, ensureDatabase } from '../src/config/ensure-database.js';
import {
  rawBullmqAdd,
  rawBullmqAddBulk,
  rawBullmqProcessing,
  tasksModuleEnqueue,
  tasksModuleEnqueueMany,
  tasksModuleProcessing,
  type BenchEnv,
} from './scenarios.js';
import { bareNestEnqueueHttp, tasksModuleEnqueueHttp } from './http-scenario.js';
import { workerMemory } from './memory-scenario.js';
import { largeTable } from './large-table-scenario.js';

/**
 * `npm run bench [-- --only=e2e,enqueue,http,large,memory] [-- --tasks=N] [-- --seconds=S] [-- --large-rows=N]
 * [-- --memory-tasks=N]` (large: 1M rows by default, `--large-rows=10000000` for 10M)
 * (enqueue covers single and bulk): each scenario measures ours and its
 * baseline in the same run, prints a table and writes bench/results.json.
 */
interface BenchResult {
  scenario: string;
  ours: number;
  baseline: number;
  ratio: number;
  target: number;
  pass: boolean;
  unit: string;
}

const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const only = args.get('only')?.split(',');
const tasks = Number(args.get('tasks') ?? 20_000);
const wanted = (name: string) => !only || only.includes(name);

async function main(): Promise<void> {
  const runId = randomBytes(3).toString('hex');
  const databaseUrl = `${process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'}/tasks_bench_${runId}`;
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  let counter = 0;
  const env: BenchEnv = { databaseUrl, redisUrl, nextPrefix: () => `tasks-bench-${runId}-${counter++}` };
  await ensureDatabase(databaseUrl);
  const results: BenchResult[] = [];
  const ceilings = new Set<string>();
  // Most targets are a floor (ours/baseline >= target); `atMost` makes it a ceiling.
  const record = (scenario: string, ours: number, baseline: number, target: number, unit: string, atMost = false) => {
    const ratio = ours / baseline;
    const pass = atMost ? ratio <= target : ratio >= target;
    const result = { scenario, ours: round(ours), baseline: round(baseline), ratio: round(ratio, 2), target, pass, unit };
    if (atMost) ceilings.add(scenario);
    results.push(result);
    console.log(JSON.stringify(result));
  };
  try {
    // First, so that the worker's RSS carries nothing from the other scenarios.
    if (wanted('memory')) {
      const total = Number(args.get('memory-tasks') ?? 200_000);
      const rss = await workerMemory(env, total / 10, total);
      record(`worker RSS after ${total} tasks vs after ${total / 10} (lower is better)`, rss.late, rss.early, 1.3, 'MiB', true);
    }
    for (const concurrency of [50, 200]) {
      if (!wanted('e2e')) break;
      const baseline = await rawBullmqProcessing(env, tasks, concurrency);
      const ours = await tasksModuleProcessing(env, tasks, concurrency);
      record(`end-to-end no-op, concurrency ${concurrency} (${tasks} tasks)`, ours.perSecond, baseline.perSecond, 0.6, 'tasks/s');
    }
    if (wanted('enqueue')) {
      const baseline = await rawBullmqAdd(env, tasks, 50);
      const ours = await tasksModuleEnqueue(env, tasks, 50);
      record(`enqueue single, 50 concurrent callers (${tasks} tasks)`, ours.perSecond, baseline.perSecond, 0.5, 'tasks/s');
      const bulkBaseline = await rawBullmqAddBulk(env, tasks);
      const bulk = await tasksModuleEnqueueMany(env, tasks);
      record(`enqueue bulk, 1000 per call (${tasks} tasks)`, bulk.perSecond, bulkBaseline.perSecond, 0.7, 'tasks/s');
    }
    if (wanted('http')) {
      const seconds = Number(args.get('seconds') ?? 10);
      const baseline = await bareNestEnqueueHttp(env, seconds);
      const ours = await tasksModuleEnqueueHttp(env, seconds);
      console.log(`http: ours p50 ${ours.p50} ms p99 ${ours.p99} ms (non-2xx ${ours.non2xx}); bare p50 ${baseline.p50} ms p99 ${baseline.p99} ms`);
      record(`HTTP POST /enqueue, 50 connections, ${seconds} s (p50 ${ours.p50} ms, p99 ${ours.p99} ms)`, ours.perSecond, baseline.perSecond, 0.5, 'req/s');
    }
    if (wanted('large')) {
      const large = Number(args.get('large-rows') ?? 1_000_000);
      const small = large / 10;
      const { small: before, large: after } = await largeTable(env, small, large);
      // Each read must stay under 10 ms at the large size and grow at most 1.5x from the small.
      const reads = [
        ['list first page, every filter', 'firstPage'],
        ['list deep pages by cursor', 'deepPage'],
        ['count, every filter', 'count'],
        ['list first page, every filter with error_type', 'firstPageByClass'],
        ['count, every filter with error_type', 'countByClass'],
      ] as const;
      for (const [name, key] of reads) {
        const ours = after[key];
        const baseline = before[key];
        const ratio = ours / baseline;
        const scenario = `${name}: p95 at ${large} rows vs ${small} (≤ 10 ms, growth ≤ 1.5x)`;
        const result = { scenario, ours: round(ours, 2), baseline: round(baseline, 2), ratio: round(ratio, 2), target: 1.5, pass: ratio <= 1.5 && ours <= 10, unit: 'ms' };
        results.push(result);
        ceilings.add(scenario);
        console.log(JSON.stringify(result));
      }
    }
  } finally {
    await dropDatabase(databaseUrl);
    await deleteKeys(redisUrl, `tasks-bench-${runId}-*`);
  }
  printTable(results, ceilings);
  await writeFile(new URL('./results.json', import.meta.url.replace('/dist/bench/', '/bench/')), `${JSON.stringify(results, null, 2)}\n`);
}

/** Removes what the run left in Redis (queue metadata, relay registrations). */
async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function printTable(results: BenchResult[], ceilings: Set<string>): void {
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  console.log('| scenario | ours | baseline | ratio | target | pass |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    const bound = ceilings.has(r.scenario) ? '≤' : '≥';
    console.log(`| ${r.scenario} | ${r.ours} ${r.unit} | ${r.baseline} ${r.unit} | ${r.ratio} | ${bound} ${r.target} | ${r.pass ? 'yes' : 'no'} |`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
