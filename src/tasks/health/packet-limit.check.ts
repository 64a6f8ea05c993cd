import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InvalidTasksOptionsError } from '../errors/bootstrap.errors.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { DatabaseHealth } from '../store/database-health.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';

/**
 * How many times a value the options admit must fit in MySQL's `max_allowed_packet`: escaping
 * can double a JSON value on the wire (every quote and backslash), and a chain step's result is
 * written twice by one statement (its row's result and its successor's input).
 */
export const PACKET_SHARES = 3;

/** What the options admit that MySQL could never take in one statement, if anything. */
export function packetProblems(options: Pick<ResolvedTasksOptions, 'maxParamsBytes' | 'maxResultBytes'>, maxAllowedPacket: number): string[] {
  const limit = Math.floor(maxAllowedPacket / PACKET_SHARES);
  return (['maxParamsBytes', 'maxResultBytes'] as const)
    .filter((option) => options[option] > limit)
    .map(
      (option) =>
        `${option} (${options[option]}) is over a third of MySQL's max_allowed_packet (${maxAllowedPacket} bytes): ` +
        'a value that large could never be written (MySQL drops the connection of a larger statement). ' +
        `Set ${option} to at most ${limit}, or raise max_allowed_packet on the server.`,
    );
}

/**
 * Fails the bootstrap when `maxParamsBytes` or `maxResultBytes` admit values that MySQL would
 * refuse: such a write never succeeds, and because MySQL answers it by dropping the connection,
 * the module would take it for an outage and retry it for ever instead of failing the one task.
 * One query at startup; if it cannot be read (a data source the host initialises later, a
 * server that hides the variable), the module starts and says so.
 */
@Injectable()
export class PacketLimitCheck implements OnModuleInit {
  private readonly logger = new Logger(PacketLimitCheck.name);

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly database: DatabaseHealth,
  ) {}

  async onModuleInit(): Promise<void> {
    let packet: number | undefined;
    try {
      packet = await this.database.maxAllowedPacket();
    } catch (error) {
      return this.notChecked((error as Error).message);
    }
    if (packet === undefined) return this.notChecked('its data source is not initialised yet');
    if (!(packet > 0)) return this.notChecked(`it read as ${packet}`);
    const problems = packetProblems(this.options, packet);
    if (problems.length > 0) throw new InvalidTasksOptionsError(problems.join(' '));
  }

  private notChecked(why: string): void {
    this.logger.warn(`maxParamsBytes and maxResultBytes not checked against MySQL's max_allowed_packet: ${why}`);
  }
}
