// The layering the README promises, checked on every relative import of the production tree: agent/ and
// cloud/ never import each other (both stand on proto/ and common/, which import neither), and production
// code never imports test doubles or tools (test/, bench/, demo/, scripts/).
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PRODUCTION = ['agent', 'cloud', 'common', 'proto'] as const;
const TOOLS = ['test', 'bench', 'demo', 'scripts'];
/** Top folders each production folder must not import. */
const FORBIDDEN: Record<(typeof PRODUCTION)[number], string[]> = {
  agent: ['cloud', ...TOOLS],
  cloud: ['agent', ...TOOLS],
  common: ['agent', 'cloud', ...TOOLS],
  proto: ['agent', 'cloud', ...TOOLS],
};

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return /\.(ts|mts|mjs|js)$/.test(e.name) ? [rel] : [];
  });
}

/** The repository-relative targets of a file's relative imports (static, re-exports and dynamic). */
function relativeImports(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((s) => relative(root, resolve(root, dirname(file), s)));
}

test('the import scanner sees static, type-only, side-effect and dynamic imports', (t) => {
  const text = "import { a } from '../common/a.js';\nimport type { B } from '../../proto/b.js';\nimport '../test/c.js';\nexport * from './d.js';\nconst e = await import('../bench/e.js');";
  t.deepEqual(relativeImports('cloud/x.ts', text), ['common/a.js', '../proto/b.js', 'test/c.js', 'cloud/d.js', 'bench/e.js']);
});

test('production folders import only what their layer may (agent and cloud never each other; no test doubles or tools)', (t) => {
  const problems: string[] = [];
  let checked = 0;
  for (const top of PRODUCTION) {
    for (const file of sources(top)) {
      for (const target of relativeImports(file, readFileSync(join(root, file), 'utf8'))) {
        checked++;
        const targetTop = target.split('/')[0];
        if (FORBIDDEN[top].includes(targetTop) || target.startsWith('..')) problems.push(`${file} imports ${target}`);
      }
    }
  }
  t.true(checked > 500, `only ${checked} imports found: the scanner is broken`);
  t.deepEqual(problems, []);
});
