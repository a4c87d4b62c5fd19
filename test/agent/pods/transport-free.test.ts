// The pod logic does not know the transport: nothing under agent/pods/ imports gRPC (any @grpc/ package),
// the tunnel adapter (agent/tunnel/) or the gRPC service loader (proto/load). It talks to the PodTunnel
// port and looks at the kinds of its typed errors; proto-generated message types are fine.
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PODS = 'agent/pods';

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return /\.(ts|mts|js)$/.test(e.name) ? [rel] : [];
  });
}

/** Every module specifier a file imports (static, type-only, side-effect, re-export, dynamic); relative ones resolved from the root. */
function imports(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((s) => (s.startsWith('.') ? relative(root, resolve(root, dirname(file), s)) : s));
}

const transport = (target: string) => target.startsWith('@grpc/') || target.startsWith('agent/tunnel/') || target.startsWith('proto/load');

test('the scanner sees package, relative, type-only and dynamic imports', (t) => {
  const text = "import * as grpc from '@grpc/grpc-js';\nimport type { T } from '../tunnel/client.js';\nexport * from './x.js';\nconst m = await import('../../proto/load.js');";
  t.deepEqual(imports('agent/pods/a.ts', text), ['@grpc/grpc-js', 'agent/tunnel/client.js', 'agent/pods/x.js', 'proto/load.js']);
  t.deepEqual(imports('agent/pods/a.ts', text).filter(transport), ['@grpc/grpc-js', 'agent/tunnel/client.js', 'proto/load.js']);
});

test('nothing under agent/pods/ imports gRPC or the tunnel adapter', (t) => {
  const files = sources(PODS);
  t.true(files.length >= 5, `only ${files.length} files under ${PODS}`);
  const problems = files.flatMap((f) => imports(f, readFileSync(join(root, f), 'utf8')).filter(transport).map((target) => `${f} imports ${target}`));
  t.deepEqual(problems, []);
});
