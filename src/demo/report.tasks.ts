import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TaskHandler, TaskProcessor, type TaskContext } from 'tasks-module';
import { DemoFilesService } from './demo-files.service.js';
import { renderTextPdf } from './pdf.renderer.js';

/** The seed's report task: writes a PDF report of the task table to the reports folder. */
@TaskProcessor('reports')
export class ReportTasks {
  constructor(
    private readonly files: DemoFilesService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @TaskHandler('afirgen_tasks.reports.generate_pdf')
  async generatePdf(params: { title?: unknown; fir_id?: unknown }, context: TaskContext) {
    const title = typeof params.title === 'string' ? params.title : 'Background task report';
    await context.progress(10, 'querying');
    const rows: { task_type: string; status: string; count: string }[] = await this.dataSource.query(
      'SELECT task_type, status, COUNT(*) AS count FROM background_tasks GROUP BY task_type, status ORDER BY task_type, status',
    );
    const lines = [
      `Generated ${new Date().toISOString()} by task ${context.taskId}`,
      ...(typeof params.fir_id === 'string' ? [`FIR: ${params.fir_id}`] : []),
      '',
      ...rows.map((row) => `${row.task_type.padEnd(12)} ${row.status.padEnd(10)} ${row.count}`),
    ];
    await context.progress(60, 'rendering');
    const pdf = renderTextPdf(title, lines);
    const path = await this.files.write('reports', `${context.taskId}.pdf`, pdf);
    return { status: 'success', file: path, bytes: pdf.length, rows: rows.length };
  }
}
