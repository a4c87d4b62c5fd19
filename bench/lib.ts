// Shared benchmark plumbing: result shape, percentile helper, JSON output and the one-line summary.
// A bench measures its own baseline in the same run and reports ratios against it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Metrics = Record<string, number>;
/** A target is a bound on one metric: {"max": n} or {"min": n}. */
export type Target = { min?: number; max?: number };
export interface BenchResult {
  metrics: Metrics;
  targets: Record<string, Target>;
}
export type Bench = (args: string[]) => Promise<BenchResult>;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function meetsTargets(r: BenchResult): boolean {
  return Object.entries(r.targets).every(([k, t]) => {
    const v = r.metrics[k];
    if (typeof v !== 'number' || Number.isNaN(v)) return false;
    return (t.min === undefined || v >= t.min) && (t.max === undefined || v <= t.max);
  });
}

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

export async function runBench(name: string, bench: Bench, args: string[]): Promise<boolean> {
  const r = await bench(args);
  const pass = meetsTargets(r);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${name}.json`), JSON.stringify({ name, metrics: r.metrics, targets: r.targets, pass }, null, 2) + '\n');
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(3));
  const parts = Object.entries(r.metrics).map(([k, v]) => `${k}=${fmt(v)}`);
  console.log(`bench ${name}: ${pass ? 'PASS' : 'FAIL'} ${parts.join(' ')}`);
  return pass;
}
