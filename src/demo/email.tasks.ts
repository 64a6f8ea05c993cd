import { NonRetryableError, TaskErrorType, TaskHandler, TaskProcessor, type TaskContext } from 'tasks-module';
import { DemoFilesService } from './demo-files.service.js';
import { SendConfirmationParams } from './send-confirmation.params.js';

/** The seed's e-mail task: renders the confirmation and drops it in the outbox as an .eml file. */
@TaskProcessor('email')
export class EmailTasks {
  constructor(private readonly files: DemoFilesService) {}

  /** Enqueue validates the params against SendConfirmationParams, so they are known good here. */
  @TaskHandler('afirgen_tasks.email.send_confirmation', { params: SendConfirmationParams, timeoutSeconds: 30 })
  async sendConfirmation(params: SendConfirmationParams, context: TaskContext) {
    const { fir_id: firId, recipient_email: recipient } = params;
    // Validated on enqueue; checked again here, as header injection must never reach the file.
    if (/[\r\n]/.test(`${firId}${recipient}`)) throw new NonRetryableError('fir_id and recipient_email must be one line each', TaskErrorType.Validation);
    const message = [
      `To: ${recipient}`,
      'From: no-reply@afirgen.example',
      `Subject: Your FIR ${firId} has been registered`,
      `Message-ID: <${context.taskId}@afirgen.example>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Your First Information Report ${firId} was received and registered.`,
      '',
    ].join('\r\n');
    const path = await this.files.write('outbox', `${context.taskId}.eml`, message);
    return { status: 'success', message: 'Email sent successfully', fir_id: firId, recipient, outbox_file: path };
  }
}
