/**
 * Thrown to BullMQ for a failed attempt that is retried: carries the delay the runner chose,
 * which the workers' backoff strategy hands back to BullMQ.
 */
export class ScheduledRetry extends Error {
  constructor(
    message: string,
    readonly retryDelayMs: number,
  ) {
    super(message);
    this.name = 'ScheduledRetry';
  }
}
