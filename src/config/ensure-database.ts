import mysql from 'mysql2/promise';

/**
 * Creates the database named in a `mysql://` URL when it does not exist yet, so that a fresh
 * machine can run the demo with one command.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new Error('DATABASE_URL names no database');
  url.pathname = '/';
  // Fail within seconds when nobody listens, rather than after mysql2's default 10 s.
  const connection = await mysql.createConnection({ uri: url.toString(), connectTimeout: 3000 });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
}

/** Drops the database named in a `mysql://` URL (test clean-up). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/';
  const connection = await mysql.createConnection(url.toString());
  try {
    await connection.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(database)}`);
  } finally {
    await connection.end();
  }
}
