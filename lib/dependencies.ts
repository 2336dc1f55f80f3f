/**
 * The composition root. A process's ports are either installed once (local mode and tests call
 * `useDependencies()` with a complete set) or, on Lambda, built on first use from the factories each
 * handler names with `wire()`. A handler names only the ports it uses, so its bundle carries only
 * those adapters' SDK clients (the EC2 client alone is ~800 KB).
 */
import type { Logger } from '#lib/domain/logger.ts';
import type { JobStore, LogReader, TaskRunner, TokenStore, Workflow } from '#lib/domain/ports.ts';
import type { Profile } from '#lib/domain/profile.ts';

export interface Dependencies {
  store: JobStore;
  tokens: TokenStore;
  workflow: Workflow;
  taskRunner: TaskRunner;
  logReader: LogReader;
  profiles: ReadonlyMap<string, Profile>;
  logger: Logger;
}

export type DependencyFactories = { [Port in keyof Dependencies]?: () => Dependencies[Port] };

const PORTS = ['store', 'tokens', 'workflow', 'taskRunner', 'logReader', 'profiles', 'logger'] as const satisfies ReadonlyArray<keyof Dependencies>;

let installed: Dependencies | undefined;

/** Installs a complete set of ports for this process; every `wire()` then hands these out. */
export function useDependencies(dependencies: Dependencies): void {
  installed = dependencies;
}

/**
 * A function's dependencies: the installed ones if any, else each port built on first use by the
 * factory named for it. Using a port the function did not name is a wiring mistake and says so.
 */
export function wire(factories: DependencyFactories): Dependencies {
  const built = new Map<keyof Dependencies, unknown>();
  const port = <Port extends keyof Dependencies>(name: Port): Dependencies[Port] => {
    if (installed) return installed[name];
    if (!built.has(name)) {
      const factory = factories[name];
      if (!factory) throw new Error(`the '${name}' port is not wired for this function`);
      built.set(name, factory());
    }
    return built.get(name) as Dependencies[Port];
  };
  const dependencies = {} as Dependencies;
  for (const name of PORTS) Object.defineProperty(dependencies, name, { get: () => port(name), enumerable: true });
  return dependencies;
}
