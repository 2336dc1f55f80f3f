/**
 * The options of a bench script, and its quick mode: `--quick` (or `BENCH_QUICK=1`) swaps the
 * defaults for tiny counts, so that test/unit/bench-scripts.test.ts can run every bench once and
 * a bench cannot break unseen. Numbers from a quick run mean nothing; options given still win.
 */
import { parseArgs } from 'node:util';

export interface BenchOptions<T extends Record<string, string>> {
  values: T;
  quick: boolean;
}

export function benchOptions<T extends Record<string, string>>(defaults: T, quickDefaults: T): BenchOptions<T> {
  const names = Object.keys(defaults);
  const { values } = parseArgs({
    options: { ...Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])), quick: { type: 'boolean' as const } },
  });
  const parsed = values as Record<string, string | boolean | undefined>;
  const quick = parsed.quick === true || process.env.BENCH_QUICK === '1';
  const given = Object.fromEntries(names.flatMap((name) => (typeof parsed[name] === 'string' ? [[name, parsed[name]]] : [])));
  return { values: { ...(quick ? quickDefaults : defaults), ...given } as T, quick };
}
