import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

/**
 * Where the demo handlers put what they produce: `<DEMO_OUTPUT_DIR>/outbox` for rendered
 * e-mails and `<DEMO_OUTPUT_DIR>/reports` for PDF reports. An ordinary provider that the
 * processors inject, to show that handlers get constructor injection.
 */
@Injectable()
export class DemoFilesService {
  private readonly root: string;

  constructor(config: ConfigService) {
    this.root = resolve(config.get<string>('DEMO_OUTPUT_DIR') ?? 'var');
  }

  /**
   * Writes `content` to `<root>/<folder>/<fileName>` and returns its path relative to the output
   * directory (`outbox/<id>.eml`): a result that anyone may read tells nothing of the server's layout.
   */
  async write(folder: 'outbox' | 'reports', fileName: string, content: string | Buffer): Promise<string> {
    const dir = join(this.root, folder);
    await mkdir(dir, { recursive: true });
    const path = join(dir, fileName);
    await writeFile(path, content);
    return `${folder}/${fileName}`;
  }
}
