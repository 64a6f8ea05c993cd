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
  /** Slowest enqueue answer (ms), whatever its status: outages must not make calls hang. */
  slowestEnqueueMs: number;
  handlerStarts: number;
  /** Repairs seen in the audit: stalled attempts requeued, lost attempts counted. */
  stalledRequeues: number;
  lostRepairs: number;
  problems: string[];
  summary: string;
}

/** An enqueue the API accepted (201). */
export interface Accepted {
  taskId: string;
  taskName: string;
  maxRetries: number;
  acceptedAt: number;
}
