// Benchmark runner: `npm run bench -- <name> [args]` runs bench/<name>.ts, whose default export
// is a Bench. Every bench prints one summary line and writes bench/results/<name>.json.
import { pathToFileURL } from 'node:url';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBench, type Bench } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
  .map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}`);
  process.exit(2);
}
const file = join(here, `${name}.ts`);
if (!existsSync(file)) process.exit(2);
const mod = (await import(pathToFileURL(file).href)) as { default: Bench };
const ok = await runBench(name, mod.default, process.argv.slice(3));
process.exit(ok ? 0 : 1);
