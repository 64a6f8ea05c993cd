import { Queue } from 'bullmq';
import { DEMO_QUEUES } from '../../src/demo/demo.module.js';

/**
 * Waits (at most 60 s) until no job of the demo's queues waits, is delayed or runs in Redis,
 * then returns how many are left: the verdict is taken on a drained queue, not mid-flight.
 */
export async function drainedQueues(redisUrl: string, prefix: string): Promise<number> {
  const { hostname, port } = new URL(redisUrl);
  const queues = DEMO_QUEUES.map((queue) => new Queue(queue.name, { connection: { host: hostname, port: Number(port) }, prefix }));
  try {
    const left = async () => {
      const counts = await Promise.all(queues.map((queue) => queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized')));
      return counts.reduce((sum, count) => sum + Object.values(count).reduce((a, b) => a + b, 0), 0);
    };
    const deadline = Date.now() + 60_000;
    let jobs = await left();
    while (jobs > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      jobs = await left();
    }
    return jobs;
  } finally {
    await Promise.all(queues.map((queue) => queue.close()));
  }
}
