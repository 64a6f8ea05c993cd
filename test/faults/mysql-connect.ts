import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';

/** A connection to `url`, tried again for about 10 s (the private MariaDB may be restarting). */
export async function connectWithRetry(url: string): Promise<mysql.Connection> {
  for (let i = 0; ; i++) {
    try {
      return await mysql.createConnection(url);
    } catch (error) {
      if (i > 50) throw error;
      await sleep(200);
    }
  }
}
