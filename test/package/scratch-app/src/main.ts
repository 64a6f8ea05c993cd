// A host application outside the repository: it knows TasksModule only as the installed package.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BackgroundTask, TaskHandler, TaskProcessor, TasksModule, TasksService, TaskStatus, type TaskContext } from 'tasks-module';
import { TASKS_MIGRATIONS } from 'tasks-module/migrations';

@Injectable()
class Greeter {
  greet(name: string): string {
    return `Hello, ${name}`;
  }
}

@TaskProcessor('default')
class GreetTasks {
  constructor(private readonly greeter: Greeter) {}

  @TaskHandler('scratch.greet')
  greet(params: { name: string }, context: TaskContext) {
    return { text: this.greeter.greet(params.name), attempt: context.attempt };
  }
}

@Module({
  imports: [
    // The tasks on a data source of their own, as an app with its own database would have them.
    TypeOrmModule.forRoot({ name: 'tasks', type: 'mysql', url: process.env.DATABASE_URL, entities: [BackgroundTask], migrations: TASKS_MIGRATIONS, migrationsRun: true }),
    TasksModule.forRoot({ redis: process.env.REDIS_URL, queuePrefix: process.env.QUEUE_PREFIX, dataSource: 'tasks' }),
  ],
  providers: [Greeter, GreetTasks],
})
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
const tasks = app.get(TasksService);
const { taskId } = await tasks.enqueue({ taskName: 'scratch.greet', params: { name: 'package' } });
const deadline = Date.now() + 20_000;
let task = await tasks.getTaskStatus(taskId);
while (task.status !== TaskStatus.Completed && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  task = await tasks.getTaskStatus(taskId);
}
console.log(`RESULT ${task.status} ${JSON.stringify(task.result)} count=${await tasks.getTaskCount({ status: TaskStatus.Completed })}`);
await app.close();
