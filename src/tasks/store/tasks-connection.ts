import { Inject, type DynamicModule, type Provider } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { BackgroundTask } from './background-task.entity.js';

/**
 * Injection token of the TypeORM DataSource that holds `background_tasks`: the host's default
 * one, or the one the `dataSource` extra names, so the tasks can live in a database (and on a
 * MySQL primary) of their own beside the application's.
 */
export const TASKS_DATA_SOURCE = Symbol('TASKS_DATA_SOURCE');

/** Injects the module's data source ({@link TASKS_DATA_SOURCE}). */
export const InjectTasksDataSource = (): ReturnType<typeof Inject> => Inject(TASKS_DATA_SOURCE);

/**
 * What points the module at the data source registered as `name` (`TypeOrmModule.forRoot({ name })`;
 * `default` for the unnamed one): the entity registered there (for `autoLoadEntities`) and the
 * token the store injects. A name no `forRoot` registered fails the bootstrap, naming its token.
 */
export function tasksDataSourceWiring(name: string): { imports: DynamicModule[]; providers: Provider[] } {
  return {
    imports: [TypeOrmModule.forFeature([BackgroundTask], name)],
    providers: [{ provide: TASKS_DATA_SOURCE, useExisting: getDataSourceToken(name) }],
  };
}
