import { Controller, UseGuards, type CanActivate, type Type } from '@nestjs/common';
import { DashboardController } from '../dashboard/dashboard.controller.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import { TaskInsightsController } from './task-insights.controller.js';
import { TasksController } from './tasks.controller.js';
import { WorkflowsController } from './workflows.controller.js';

type Guards = Array<Type<CanActivate> | CanActivate>;

/** Where the module's controllers go; `false` leaves one out. */
export interface ControllerPaths {
  routePrefix: string;
  healthPath: string | false;
  metricsPath: string | false;
  dashboardPath: string | false;
}

/**
 * The module's controllers at their paths, each behind the host's `guards`. The stats and
 * events routes come before the tasks controller, whose `:task_id` would otherwise take them.
 */
export function createTasksControllers(paths: ControllerPaths, guards: Guards = []): Type<unknown>[] {
  return [
    mount(TaskInsightsController, paths.routePrefix, guards),
    mount(WorkflowsController, paths.routePrefix, guards),
    mount(TasksController, paths.routePrefix, guards),
    ...(paths.healthPath === false ? [] : [mount(HealthController, paths.healthPath, guards)]),
    ...(paths.metricsPath === false ? [] : [mount(MetricsController, paths.metricsPath, guards)]),
    ...(paths.dashboardPath === false ? [] : [dashboard(paths.dashboardPath, paths.routePrefix, guards)]),
  ];
}

function dashboard(path: string, routePrefix: string, guards: Guards): Type<DashboardController> {
  const mounted = mount(DashboardController, path, guards) as Type<DashboardController> & typeof DashboardController;
  mounted.paths = { dashboard: path.replace(/^\/+|\/+$/g, ''), api: routePrefix.replace(/^\/+|\/+$/g, '') };
  return mounted;
}

/**
 * `base` mounted at `prefix`, behind `guards`. Each call makes a subclass, so two applications
 * in one process (tests, say) can mount the routes under different prefixes.
 */
function mount<T>(base: Type<T>, prefix: string, guards: Guards): Type<T> {
  const mounted = class extends (base as Type<object>) {} as Type<T>;
  if (guards.length > 0) UseGuards(...guards)(mounted);
  // Keep the public name in logs and Swagger operation ids (`TasksController_enqueue`).
  Object.defineProperty(mounted, 'name', { value: base.name });
  Controller(prefix)(mounted);
  return mounted;
}
