// `npm run build`: compiles the production code (agent, cloud, common, proto) to dist/ with tsc and
// copies the non-TypeScript files it loads at run time (the .proto contract, emulator runtime helpers).
// bin/*.js run dist/ when it exists, else the TypeScript sources through tsx.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
const assets = new Set(['.proto', '.py', '.mjs']);
function copyAssets(dir) {
  for (const name of readdirSync(join(root, dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) copyAssets(rel);
    else if (assets.has(extname(name))) cpSync(join(root, rel), join(dist, rel));
  }
}
for (const d of ['agent', 'cloud', 'common', 'proto']) copyAssets(d);
console.log('built dist/');
