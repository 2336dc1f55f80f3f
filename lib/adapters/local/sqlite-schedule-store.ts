/**
 * The ScheduleStore port on local mode's SQLite file, with the DynamoDB store's semantics
 * (test/contract/schedule-store.contract.ts holds both to them). One row per schedule, keyed by its
 * name: the schedule as JSON, and its fires in a column of their own, so that a change of the
 * schedule (`put`) and a fire (`recordFire`) never overwrite each other. A fire is recorded in a
 * transaction that holds the write lock from its start, so two at once both land.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { ScheduleStore } from '#lib/domain/ports.ts';
import { withFire, type Schedule, type ScheduleFire } from '#lib/domain/schedule.ts';
import { inImmediateTransaction } from './sqlite-database.ts';

interface ScheduleRow {
  document: string;
  fires: string;
}

export class SqliteScheduleStore implements ScheduleStore {
  readonly #database: DatabaseSync;

  constructor(options: { database: DatabaseSync }) {
    this.#database = options.database;
  }

  async create(schedule: Schedule): Promise<boolean> {
    const inserted = this.#database
      .prepare('INSERT INTO schedules (name, document, fires) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING name')
      .get(schedule.name, JSON.stringify(withoutFires(schedule)), JSON.stringify(schedule.fires ?? []));
    return inserted !== undefined;
  }

  async get(name: string): Promise<Schedule | undefined> {
    const row = this.#database.prepare('SELECT document, fires FROM schedules WHERE name = ?').get(name) as ScheduleRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<Schedule[]> {
    const rows = this.#database.prepare('SELECT document, fires FROM schedules ORDER BY name').all() as unknown as ScheduleRow[];
    return rows.map(fromRow);
  }

  async put(schedule: Schedule): Promise<Schedule | undefined> {
    const row = this.#database
      .prepare('UPDATE schedules SET document = ? WHERE name = ? RETURNING document, fires')
      .get(JSON.stringify(withoutFires(schedule)), schedule.name) as ScheduleRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  async recordFire(name: string, fire: ScheduleFire): Promise<Schedule | undefined> {
    return inImmediateTransaction(this.#database, () => {
      const row = this.#database.prepare('SELECT document, fires FROM schedules WHERE name = ?').get(name) as ScheduleRow | undefined;
      if (!row) return undefined;
      const fires = withFire(JSON.parse(row.fires) as ScheduleFire[], fire);
      this.#database.prepare('UPDATE schedules SET fires = ? WHERE name = ?').run(JSON.stringify(fires), name);
      return fromRow({ document: row.document, fires: JSON.stringify(fires) });
    });
  }

  async delete(name: string): Promise<boolean> {
    return this.#database.prepare('DELETE FROM schedules WHERE name = ? RETURNING name').get(name) !== undefined;
  }
}

function withoutFires(schedule: Schedule): Omit<Schedule, 'fires'> {
  const { fires: _fires, ...rest } = schedule;
  return rest;
}

function fromRow(row: ScheduleRow): Schedule {
  const fires = JSON.parse(row.fires) as ScheduleFire[];
  return { ...(JSON.parse(row.document) as Schedule), ...(fires.length > 0 ? { fires } : {}) };
}
