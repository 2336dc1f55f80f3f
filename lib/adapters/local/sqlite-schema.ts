/**
 * The schema of `jobs.db`, as the ordered migrations that build it: migration N takes a file from
 * schema version N-1 to N (sqlite-database.ts runs the missing ones). Append only; never edit one
 * that has shipped, or files made with it differ from files made now.
 *
 * A job, token or schedule is kept whole as JSON (`document`, `record`); the columns beside it are what the
 * stores look rows up, order and count by, written with the JSON in the same statement.
 */
export const SCHEMA_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    -- createdAt#id: the newest-first order of listings and what their cursors point at.
    list_key TEXT NOT NULL,
    status TEXT NOT NULL,
    profile TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    -- 1 until the job is finalized (terminal with its stop recorded): the reconciler's view.
    unfinished INTEGER NOT NULL,
    task_arn TEXT,
    document TEXT NOT NULL
  ) STRICT;
  CREATE INDEX jobs_by_list_key ON jobs (list_key);
  -- Partial: holds only the unfinished jobs, so counting and the reconciler read those alone.
  CREATE INDEX jobs_unfinished_by_submitter ON jobs (submitted_by) WHERE unfinished = 1;

  CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    record TEXT NOT NULL
  ) STRICT;
  -- One active token per name; revoking it frees the name.
  CREATE UNIQUE INDEX tokens_active_name ON tokens (name) WHERE revoked_at IS NULL;
  CREATE INDEX tokens_by_created_at ON tokens (created_at, hash);
  `,
  `
  -- The earlier stores of the data directory whose records were copied in (the dynalite \`db/\`
  -- folder of versions before jobs.db): each is copied once, on the first start that finds it.
  CREATE TABLE imports (
    source TEXT PRIMARY KEY,
    imported_at TEXT NOT NULL
  ) STRICT;
  `,
  `
  -- The schedules (sqlite-schedule-store.ts), by name. Its fires are kept apart from the rest of the
  -- document: a change of the schedule never overwrites a fire recorded meanwhile.
  CREATE TABLE schedules (
    name TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    fires TEXT NOT NULL DEFAULT '[]'
  ) STRICT;
  `,
];
