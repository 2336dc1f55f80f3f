#!/usr/bin/env node
// The `fargate-jobs` bin, in plain JavaScript: the `node` on PATH may be too old to run TypeScript
// (npm link puts this bin where the system's node runs it). A Node that strips types runs the CLI
// itself; any other re-runs it on the project's pinned Node (the `node` devDependency).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

function stripsTypes() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

if (stripsTypes()) {
  // Type stripping costs ~100 ms a start; Node's compile cache (in the OS temp dir) keeps its output.
  nodeModule.enableCompileCache?.();
  const { runAsProcess } = await import('./fargate-jobs.ts');
  await runAsProcess();
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(`fargate-jobs: needs Node 22.18 or newer, or the project's own Node (${pinned}): run npm install in ${fileURLToPath(new URL('..', import.meta.url))}\n`);
    process.exit(1);
  }
  const argv = [pinned, self, ...process.argv.slice(2)];
  if (typeof process.execve === 'function') process.execve(pinned, argv, process.env);
  const child = spawn(pinned, argv.slice(1), { stdio: 'inherit' });
  // The child gets a terminal's Ctrl-C itself; a signal sent to this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`fargate-jobs: could not start ${pinned}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeAllListeners(name);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
