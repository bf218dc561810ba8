/**
 * The SQLite schema as numbered steps. A step, once released, is never edited: a change is a new
 * step. Each runs inside the migration transaction, and its number is recorded in
 * `tasklane_migrations`, so a database knows exactly which steps it has.
 */

/** One schema step. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** The tasks table; every statement names it. */
export const TASKS = "tasklane_tasks";
/** The slots table of periodic tasks: one row per schedule slot enqueued, its key unique. */
export const SLOTS = "tasklane_schedule_slots";
/** The migrations table: its presence is what makes a file a tasklane database. */
export const MIGRATIONS = "tasklane_migrations";

/**
 * Sorts a NULL run_after after every real one (django-tasks-db stores a far-future sentinel
 * instead; tasklane keeps NULL in the column and puts the sentinel in the index expression, which
 * the claim's ORDER BY repeats word for word so SQLite walks the index instead of sorting).
 */
export const RUN_AFTER_KEY = "ifnull(run_after, 9007199254740991)";

export const MIGRATION_STEPS: readonly Migration[] = [
  {
    version: 1,
    description: "tasks table with claim, lease and prune indexes",
    sql: `
CREATE TABLE ${MIGRATIONS} (
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at INTEGER NOT NULL
);
CREATE TABLE ${TASKS} (
  -- enqueue order: enqueued_at milliseconds collide; AUTOINCREMENT never reuses a pruned number
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('READY', 'RUNNING', 'SUCCESSFUL', 'FAILED')),
  enqueued_at INTEGER NOT NULL,
  started_at INTEGER,
  last_attempted_at INTEGER,
  finished_at INTEGER,
  args TEXT NOT NULL,
  priority INTEGER NOT NULL CHECK (priority BETWEEN -100 AND 100),
  task_path TEXT NOT NULL,
  worker_ids TEXT NOT NULL DEFAULT '[]',
  queue_name TEXT NOT NULL,
  backend_name TEXT NOT NULL,
  run_after INTEGER,
  return_value TEXT,
  -- the last error, as django-tasks-db's columns; every error is in errors
  exception_class_path TEXT,
  traceback TEXT,
  errors TEXT NOT NULL DEFAULT '[]',
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  backoff_ms INTEGER,
  timeout_ms INTEGER,
  progress TEXT,
  locked_by TEXT,
  lease_expires_at INTEGER,
  claim_token TEXT,
  cancel_requested TEXT
);
-- the claim walks this in claim order; finished rows stay out of it
CREATE INDEX ${TASKS}_ready ON ${TASKS} (priority DESC, ${RUN_AFTER_KEY}, seq) WHERE status = 'READY';
-- the reaper looks for leases that ran out
CREATE INDEX ${TASKS}_leases ON ${TASKS} (lease_expires_at) WHERE status = 'RUNNING';
-- prune deletes finished rows by age
CREATE INDEX ${TASKS}_finished ON ${TASKS} (status, finished_at) WHERE finished_at IS NOT NULL;
`,
  },
  {
    version: 2,
    description: "schedule slots, and the slot a task row was enqueued for",
    sql: `
ALTER TABLE ${TASKS} ADD COLUMN scheduled_at INTEGER;
-- the key that makes a slot run once, whatever the number of workers; task_id is no foreign key:
-- prune deletes finished task rows, and the slot must stay recorded after its task is gone
CREATE TABLE ${SLOTS} (
  schedule_name TEXT NOT NULL,
  slot_at INTEGER NOT NULL,
  task_id TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (schedule_name, slot_at)
);
`,
  },
  {
    version: 3,
    description: "change times for the dashboard's live feed; re-enqueue links",
    sql: `
-- set by every statement that changes what a result shows (not by lease renewals)
ALTER TABLE ${TASKS} ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0;
-- a row made by re-enqueuing a FAILED one names it; the FAILED one names the row made from it
ALTER TABLE ${TASKS} ADD COLUMN reenqueued_from TEXT;
ALTER TABLE ${TASKS} ADD COLUMN reenqueued_as TEXT;
UPDATE ${TASKS} SET changed_at = max(enqueued_at, ifnull(last_attempted_at, 0), ifnull(finished_at, 0));
-- the live feed asks for the rows changed since its watermark
CREATE INDEX ${TASKS}_changed ON ${TASKS} (changed_at);
`,
  },
];

/** The newest schema this tasklane knows. */
export const LATEST_VERSION = MIGRATION_STEPS.at(-1)!.version;
