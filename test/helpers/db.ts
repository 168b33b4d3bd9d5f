// A fresh database per test file: a clone of the migrated template in the
// run's cluster (see test/run.ts), dropped when the file's tests end.

import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import { loadSettings, type Settings } from '../../src/core/settings.ts';
import { openDatabase, type DbAccess, type Login } from '../../src/db/connection.ts';
import { grantDatabase } from '../../src/db/bootstrap.ts';
import { quoteIdent } from '../../src/db/ident.ts';
import { TEMPLATE_DB, clusterSettingsEnv } from './cluster-env.ts';

export interface TestDb {
  name: string;
  settings: Settings;
  db: DbAccess;
  /** Runs one query as `login` on a fresh connection. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(login: Login, sql: string, params?: unknown[]): Promise<R[]>;
}

export function testHome(): string {
  const home = process.env.NEXUS_TEST_HOME;
  if (!home) throw new Error('NEXUS_TEST_HOME is not set: run tests through `npm test` (test/run.ts), which starts the test cluster');
  return home;
}

export function clusterSettings(dbName: string): Settings {
  const home = testHome();
  return loadSettings(clusterSettingsEnv(home, dbName), home);
}

export async function testDatabase(): Promise<TestDb> {
  const name = `t_${process.pid}_${randomBytes(3).toString('hex')}`;
  const settings = clusterSettings(name);
  const { db } = await openDatabase(settings);
  const admin = await db.connect('admin', 'postgres');
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(TEMPLATE_DB)} OWNER nexus_owner`);
  } finally {
    await admin.end();
  }
  const c = await db.connect('admin');
  try {
    await grantDatabase(c, name);
  } finally {
    await c.end();
  }
  after(async () => {
    await db.close();
    const a = await db.connect('admin', 'postgres');
    try {
      await a.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    } finally {
      await a.end();
    }
  });
  return {
    name,
    settings,
    db,
    async query(login, sql, params = []) {
      const client = await db.connect(login);
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
  };
}
