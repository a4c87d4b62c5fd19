// The Dockerfile's agent, relay and egress (sidecar) targets, parsed with dockerfile-ast (no Docker engine
// here): pinned small bases (never `latest`), a multi-stage locked install, a numeric non-root USER matching
// the charts, an ENTRYPOINT of node with the benches' Node flags (the egress sidecar: the relay's) and a shim
// that exists and is copied, every COPY source present and not .dockerignored, and every local module the
// CLI imports inside a copied directory.
import test from 'ava';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { DockerfileParser, type Copy, type Entrypoint, type From, type Instruction } from 'dockerfile-ast';
import { REPO_ROOT } from './helm.js';
import { IMAGE_NODE_FLAGS } from '../../bench/gateway-processes.js';

const images: { target: string; bin: string; cli: string; chart?: string; nodeFlags: string[] }[] = [
  { target: 'agent', bin: 'bin/gateway-agent.js', cli: 'agent/cli.ts', chart: 'gateway-agent', nodeFlags: IMAGE_NODE_FLAGS.agent },
  { target: 'relay', bin: 'bin/gateway-relay.js', cli: 'cloud/relay/cli.ts', chart: 'gateway-relay', nodeFlags: IMAGE_NODE_FLAGS.relay },
  // The burst pods' egress sidecar: no chart (the relay's ECI mapping adds it to container groups, with a
  // tenant's `egress.image`); the relay's Node flags.
  { target: 'egress', bin: 'bin/gateway-egress.js', cli: 'cloud/egress/cli.ts', nodeFlags: IMAGE_NODE_FLAGS.relay },
];
const CHART_UID = '10001';
const NODE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'scripts/node-runtime/package.json'), 'utf8')) as { version: string }).version;
const parse = () => DockerfileParser.parse(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));

/** The stages by name: each one's FROM and the instructions after it. */
function stages(): Map<string, { from: From; instructions: Instruction[] }> {
  const out = new Map<string, { from: From; instructions: Instruction[] }>();
  let current: { from: From; instructions: Instruction[] } | undefined;
  for (const i of parse().getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      current = { from: i as From, instructions: [] };
      out.set((i as From).getBuildStage() ?? `#${out.size}`, current);
    } else current?.instructions.push(i);
  }
  return out;
}

/** What an image built with `--target` runs: the instructions of the target and of the stages it is FROM, base first. */
function imageStages(target: string): Instruction[] {
  const all = stages();
  const chain: Instruction[][] = [];
  for (let name: string | undefined = target; name && all.has(name); ) {
    const stage: { from: From; instructions: Instruction[] } = all.get(name)!;
    chain.unshift(stage.instructions);
    name = stage.from.getImageName() ?? undefined;
  }
  if (!chain.length) throw new Error(`no stage ${target} in the Dockerfile`);
  return chain.flat();
}
/** The build context files copied into the image (COPY without --from). */
const copiedSources = (instructions: Instruction[]) =>
  instructions.filter((i) => i.getKeyword() === 'COPY' && !(i as Copy).getFromFlag()).flatMap((i) => i.getExpandedArguments().slice(0, -1).map((a) => a.getValue()));

const dockerignore = () =>
  readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

/** The subset of .dockerignore syntax this repository uses: plain paths (and their contents) and `**\/*.ext`. */
function ignored(path: string, patterns: string[]): boolean {
  return patterns.some((p) => {
    if (p.startsWith('**/*')) return path.endsWith(p.slice(4));
    if (p.startsWith('**/')) return path === p.slice(3) || path.endsWith(`/${p.slice(3)}`);
    return path === p || path.startsWith(`${p}/`);
  });
}

/** Local modules reachable from `entry` through relative imports (`.js` specifiers resolve to `.ts`). */
function importClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [join(REPO_ROOT, entry)];
  const spec = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  while (todo.length) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(spec)) {
      const target = resolve(dirname(file), m[1]);
      const candidates = [target, target.replace(/\.js$/, '.ts'), `${target}.ts`, join(target, 'index.ts')];
      const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
      if (!found) throw new Error(`${relative(REPO_ROOT, file)} imports ${m[1]}, which does not exist`);
      if (/\.(ts|js|mjs)$/.test(found)) todo.push(found);
    }
  }
  return new Set([...seen].map((f) => relative(REPO_ROOT, f)));
}

test('Dockerfile: every base image is pinned, small and never latest', (t) => {
  const names = new Set([...stages().keys()]);
  const froms: From[] = parse().getFROMs();
  t.true(froms.length >= 2, 'multi-stage');
  for (const f of froms.filter((x) => !names.has(x.getImageName() ?? ''))) {
    const image = f.getExpandedArguments()[0]?.getValue() ?? '';
    const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : '';
    t.truthy(tag, `${image} has an explicit tag`);
    t.not(tag, 'latest');
    // The exact Node.js build CI and the benches run on (scripts/with-node.sh installs it), as an official slim image.
    t.regex(image, new RegExp(`^node:${NODE_VERSION.replaceAll('.', '\\.')}-(bookworm|trixie)-slim(@sha256:[0-9a-f]{64})?$`), `${image} is the official slim image of Node ${NODE_VERSION}`);
  }
});

for (const img of images) {
  test(`Dockerfile --target ${img.target}: the build stage installs from the lockfile; the image gets production dependencies only`, (t) => {
    const runs = parse()
      .getInstructions()
      .filter((i) => i.getKeyword() === 'RUN')
      .map((i) => i.getArgumentsContent() ?? '');
    t.true(runs.some((r) => /\bnpm ci\b/.test(r) && /--omit=dev/.test(r)), 'npm ci --omit=dev');
    t.false(runs.some((r) => /\bnpm install\b/.test(r)), 'no unlocked npm install');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    // The images run the compiled dist/ (bin/load.js takes tsx only in a checkout), so tsx is a devDependency.
    t.falsy(pkg.dependencies?.tsx, 'tsx is not in the image');
    t.truthy(pkg.devDependencies?.tsx);
    const final = imageStages(img.target);
    t.true(
      final.some((i) => i.getKeyword() === 'COPY' && (i as Copy).getFromFlag()?.getValue() !== undefined && (i.getArgumentsContent() ?? '').includes('node_modules')),
      'node_modules copied from the build stage',
    );
  });

  test(`Dockerfile --target ${img.target}: runs as the charts' numeric non-root user`, (t) => {
    const users = imageStages(img.target).filter((i) => i.getKeyword() === 'USER');
    t.true(users.length > 0, 'USER in the final stage');
    const user = users[users.length - 1].getArgumentsContent() ?? '';
    const [uid] = user.split(':');
    t.regex(uid, /^\d+$/, 'numeric, so runAsNonRoot can verify it');
    t.not(uid, '0');
    t.is(uid, CHART_UID);
    // The chart's default pod securityContext (values.yaml) runs as the same uid.
    if (img.chart) t.regex(readFileSync(join(REPO_ROOT, 'charts', img.chart, 'values.yaml'), 'utf8'), new RegExp(`\\npodSecurityContext:\\n(  .*\\n)*?  runAsUser: ${CHART_UID}\\n`));
  });

  test(`Dockerfile --target ${img.target}: ENTRYPOINT is node with the flags the benches use, then the bin shim, which exists and is copied`, (t) => {
    const entrypoints = imageStages(img.target).filter((i): i is Entrypoint => i.getKeyword() === 'ENTRYPOINT');
    t.is(entrypoints.length, 1);
    const argv = entrypoints[0].getJSONStrings().map((s) => s.getJSONValue());
    t.is(argv[0], 'node', 'exec form, node as PID 1 receives SIGTERM');
    const workdir = imageStages(img.target)
      .filter((i) => i.getKeyword() === 'WORKDIR')
      .pop()
      ?.getArgumentsContent();
    t.is(workdir, '/app');
    t.deepEqual(argv.slice(1, -1), img.nodeFlags, 'the Node flags benches measure are the ones the image runs with');
    t.is(argv.at(-1), `/app/${img.bin}`);
    t.true(existsSync(join(REPO_ROOT, img.bin)), `${img.bin} exists in the repository`);
    t.true(copiedSources(imageStages(img.target)).includes(img.bin));
  });

  test(`Dockerfile --target ${img.target}: the build runs the shim with --help (a missing module fails the build)`, (t) => {
    const own = stages().get(img.target)?.instructions ?? [];
    const runs = own.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    t.true(
      runs.some((r) => new RegExp(`^node ${img.bin.replaceAll('.', '\\.')} --help\\b`).test(r)),
      runs.join(' | '),
    );
    const bins = copiedSources(own).filter((s) => s.startsWith('bin/'));
    t.deepEqual(bins, [img.bin], 'the stage copies its own shim only (bin/load.js comes from runtime)');
  });

  test(`Dockerfile --target ${img.target}: COPY sources exist and are not .dockerignored; every imported module is copied`, (t) => {
    const patterns = dockerignore();
    const buildSources = copiedSources(stages().get('build')?.instructions ?? []);
    const finalSources = copiedSources(imageStages(img.target));
    const sources = [...buildSources, ...finalSources];
    for (const s of sources) {
      t.true(existsSync(join(REPO_ROOT, s)), `${s} exists`);
      t.false(ignored(s, patterns), `${s} is not excluded by .dockerignore`);
    }
    // The final stage runs dist/ through the shim (bin/load.js); the build stage must copy every source
    // module the CLI imports so `npm run build` compiles all of them into dist/.
    for (const shim of importClosure(img.bin)) t.true(finalSources.includes(shim), `${shim} copied into the image`);
    const closure = importClosure(img.cli);
    t.true(closure.size > 20, `import closure of ${img.cli} (${closure.size} files)`);
    const outside = [...closure].filter((f) => !buildSources.some((s) => f === s || f.startsWith(`${s}/`)) || ignored(f, patterns));
    t.deepEqual(outside, [], 'modules the CLI imports but the build stage lacks');
  });
}

test('.dockerignore keeps node_modules, .git, tests and local state out of the build context', (t) => {
  const patterns = dockerignore();
  for (const p of ['node_modules', '.git', 'test', '.tmp', 'dist']) t.true(ignored(p, patterns), p);
  t.true(ignored('node_modules/tsx/package.json', patterns));
  t.false(ignored('agent/cli.ts', patterns));
  t.false(ignored('package-lock.json', patterns));
});
