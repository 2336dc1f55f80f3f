/** What the process task runner and its spawner (spawner-process.ts) tell each other over IPC. */

/** Start a job: its argv (run with no shell), work dir, whole environment and log file. */
export interface SpawnRequest {
  jobId: string;
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** The most of the job's own output its log keeps. */
  maxLogBytes: number;
  /** Which attempt at the job this is (1 when absent): each line of a later one says so. */
  attempt?: number;
}

export type SpawnerReply =
  /** Listening: requests sent from now on reach it. */
  | { ready: true }
  | { spawned: string; pid: number }
  | { failed: string; code?: string | undefined; message: string }
  /** Jobs whose log file has new lines. */
  | { logged: string[] }
  /** After the job's log file is flushed and closed. */
  | { exited: string; code: number | null; signal: NodeJS.Signals | null };
