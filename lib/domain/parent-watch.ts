/**
 * Noticing that the process that started this one has gone. A parent that dies without passing on
 * a signal — npm after SIGHUP or `kill -9`, the `sh -c` that npm and npx run a bin through — leaves
 * its child re-parented (to init or a subreaper) and unaware; the child learns of it only by seeing
 * its parent pid change, which it polls for. Shared by the server (local/shutdown-requests.ts) and
 * the CLI (cli/interrupt.ts), each deciding what the parent's going means.
 */

/** How soon a process whose parent died notices; the check is one system call. */
export const PARENT_POLL_MS = 250;

export interface ParentWatchOptions {
  /** The parent's pid to compare with: the parent when the watch begins by default. */
  parent?: number;
  /** This process's parent pid now; `process.ppid` (read afresh each time) by default. */
  ppid?: () => number;
  intervalMs?: number;
}

/**
 * Calls `onGone` once, when this process's parent is no longer `options.parent` (at the latest on
 * the first check, when it had changed already). The timer is unref'd: it never keeps the process
 * alive on its own.
 */
export function watchParent(onGone: () => void, options: ParentWatchOptions = {}): { stop(): void } {
  const ppid = options.ppid ?? (() => process.ppid);
  const parent = options.parent ?? ppid();
  const timer = setInterval(() => {
    if (ppid() === parent) return;
    clearInterval(timer);
    onGone();
  }, options.intervalMs ?? PARENT_POLL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
