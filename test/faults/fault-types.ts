import type { StreamVerdict } from './stream-sample.js';
import type { WorkflowVerdict } from './workflow-load.js';

/** How hard the run is. */
export interface FaultProfile {
  tasks: number;
  workers: number;
  workerKills: number;
  cancelRatio: number;
  /** Concurrent HTTP clients enqueueing. */
  clients: number;
  /** The enqueues are spread evenly over this long, and every fault happens within it. */
  loadMs: number;
}

export interface FaultReport {
  accepted: number;
  completed: number;
  failed: number;
  cancelled: number;
  lost: number;
  stuck: number;
  illegal: number;
  retryMismatches: number;
  duplicates: number;
  duplicateBound: number;
  rejected: number;
  cancelsAccepted: number;
  /** Handler returns observed after their cancel had returned (results dropped). */
  lateFinishes: number;
  /** Handler starts observed after their task's cancel had returned 200 (invariant 4: must be none). */
  lateStarts: number;
  /** Slowest enqueue answer (ms), whatever its status: outages must not make calls hang. */
  slowestEnqueueMs: number;
  handlerStarts: number;
  /** Repairs seen in the audit: stalled attempts requeued, lost attempts counted. */
  stalledRequeues: number;
  lostRepairs: number;
  problems: string[];
  summary: string;
  /** Rows in the table at the end, and rows of tasks no 201 announced (a refused or timed-out enqueue that left one). */
  rows: number;
  unannouncedRows: number;
  /** Handler starts of tasks no 201 announced (a refused enqueue whose job ran anyway). */
  unannouncedRuns: number;
  /** Tasks whose final state is not the one their params imply (with the attempts lost to crashes). */
  wrongOutcomes: number;
  /** Every enqueue answer: HTTP status (0: none within 10 s) and how long it took. */
  answers: EnqueueAnswer[];
  /** When each outage lasted (from the kill to a few seconds after the restart). */
  outages: Outage[];
  /** How each killed worker process ended (its signal; null if it was not running). */
  killSignals: Array<string | null>;
  /** Jobs still waiting, delayed or active in Redis when the verdict was taken. */
  jobsLeftInRedis: number;
  /** The workflows in the load and what they came to. */
  workflows: WorkflowVerdict;
  /** The sampled tasks' live event streams and how each ended. */
  streams: StreamVerdict;
}

/** One enqueue request's answer. */
export interface EnqueueAnswer {
  sentAt: number;
  ms: number;
  status: number;
}

/** A fault window: the service was down (or just back) between `from` and `to`. */
export interface Outage {
  service: 'Redis' | 'MySQL';
  from: number;
  to: number;
}

/** A cancel the API answered 200: when, and whether it said the task's running handler had stopped. */
export interface CancelAnswer {
  at: number;
  handlerStopped?: boolean;
}

/** An enqueue the API accepted (201). */
export interface Accepted {
  taskId: string;
  taskName: string;
  maxRetries: number;
  acceptedAt: number;
  /** For demo.flaky: how many attempts fail on purpose. */
  failTimes: number;
}
