// kubectl on burst pods, the whole way: built kubectl → real kube-apiserver → agent kubelet API → tunnel
// (one gRPC stream per session) → relay → ECI sessions → emulator process runtime. Run with the node
// declaring WebSocket streaming (1.36+ path) and, in kubectl-sessions-spdy, without (SPDY path).
import test from 'ava';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/stack.js';
import { freePort } from '../helpers/ports.js';
import { sessionsCounted } from '../helpers/kubelet-sessions.js';

const execFileP = promisify(execFile);
const declareWebSocket = process.env.ECIGW_TEST_SPDY !== '1';
let stack: EciStack;
let ns: string;

test.before(async () => {
  stack = await startEciStack({ emulator: { runtime: 'process' }, declareWebSocket });
  ns = `kc-${process.pid}`;
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const placement = {
    nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
    tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' as const }],
  };
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'shell' },
      spec: { ...placement, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo line-$i; sleep 0.2; done'] }] },
    },
  });
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'files' },
      spec: { ...placement, volumes: [{ name: 'data', emptyDir: {} }], containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
    },
  });
  await core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name: 'web' }, spec: { ...placement, containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
  });
  await eventually('pods Running', async () => {
    const items = (await core.listNamespacedPod({ namespace: ns })).items;
    return items.length === 3 && items.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready));
  }, 90_000);
});
test.after.always(async () => {
  await stack?.cluster.kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  await stack?.close();
});

/** Sessions the agent's kubelet API counted for this kind and transport: which protocol the API server spoke to it. */
const sessions = (kind: string, transport: string) => sessionsCounted(stack.kubeletServers, kind, transport);

test('kubectl exec with stdin piped; exit codes propagate', async (t) => {
  const ok = await stack.cluster.kubectl(['exec', '-i', '-n', ns, 'shell', '--', 'sh', '-c', 'tr a-z A-Z'], { input: 'hello burst\n' });
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, 'HELLO BURST\n');
  const three = await stack.cluster.kubectl(['exec', '-n', ns, 'shell', '--', 'sh', '-c', 'exit 3']);
  t.is(three.code, 3, `exit 3 gives 3 (stderr: ${three.stderr})`);
  // A node that declares ExtendWebSocketsToKubelet gets WebSocket from the API server; one that does not, SPDY.
  const [used, other] = declareWebSocket ? ['websocket', 'spdy'] : ['spdy', 'websocket'];
  t.true((await sessions('exec', used)) >= 2, `exec reached the agent over ${used}`);
  t.is(await sessions('exec', other), 0);
});

test('kubectl exec -it under a pseudo-terminal sees the window size', async (t) => {
  const cmd = `stty cols 91 rows 37; ${stack.cluster.bin.kubectl} --kubeconfig=${stack.cluster.kubeconfigPath} exec -it -n ${ns} shell -- sh -c 'sleep 1; stty size; exit 0'`;
  const { stdout } = await execFileP('script', ['-qfec', cmd, '/dev/null'], { timeout: 60_000 });
  t.regex(stdout, /37 91/, 'the pod sees the terminal size kubectl sent');
});

test('kubectl logs --tail, --timestamps and logs -f sees new lines', async (t) => {
  const tail = await stack.cluster.kubectl(['logs', '-n', ns, 'shell', '--tail=2']);
  t.is(tail.code, 0, tail.stderr);
  t.is(tail.stdout.trim().split('\n').length, 2);
  const ts = await stack.cluster.kubectl(['logs', '-n', ns, 'shell', '--tail=1', '--timestamps']);
  t.regex(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z line-\d+\n$/);

  const follow = spawn(stack.cluster.bin.kubectl, [`--kubeconfig=${stack.cluster.kubeconfigPath}`, 'logs', '-f', '--tail=1', '-n', ns, 'shell']);
  t.teardown(() => follow.kill());
  let out = '';
  follow.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await eventually('5 followed lines', () => out.split('\n').filter(Boolean).length >= 6, 20_000);
  const nums = out.split('\n').filter(Boolean).map((l) => Number(l.replace('line-', '')));
  for (let i = 1; i < nums.length; i++) t.is(nums[i], nums[i - 1] + 1, `no line lost or repeated: ${nums.join(',')}`);
});

test('kubectl attach (output only) streams new lines; attach -i is refused with the reason', async (t) => {
  const before = await stack.cluster.kubectl(['logs', '-n', ns, 'shell', '--tail=1']);
  const lastBefore = Number(before.stdout.trim().replace('line-', ''));
  const attach = spawn(stack.cluster.bin.kubectl, [`--kubeconfig=${stack.cluster.kubeconfigPath}`, 'attach', '-n', ns, 'shell']);
  t.teardown(() => attach.kill());
  let out = '';
  let err = '';
  attach.stdout.on('data', (d: Buffer) => (out += d.toString()));
  attach.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await eventually('3 attached lines', () => out.split('\n').filter((l) => /^line-\d+$/.test(l)).length >= 3, 20_000).catch((e: Error) => t.fail(`${e.message}: ${out} ${err}`));
  const nums = out.split('\n').filter((l) => /^line-\d+$/.test(l)).map((l) => Number(l.slice(5)));
  for (let i = 1; i < nums.length; i++) t.is(nums[i], nums[i - 1] + 1, `no line lost or repeated: ${nums.join(',')}`);
  t.true(nums[0] >= lastBefore, `attach starts at the present (line ${nums[0]}), not at the start of the log (was at ${lastBefore})`);

  const withStdin = await stack.cluster.kubectl(['attach', '-i', '-n', ns, 'shell'], { input: 'x\n', timeoutMs: 30_000 });
  t.not(withStdin.code, 0);
  t.regex(withStdin.stderr, /attach with stdin or a TTY is not supported for ECI pods/);
});

test('kubectl port-forward to the pod\'s HTTP port, many parallel connections', async (t) => {
  const local = await freePort();
  const pf = spawn(stack.cluster.bin.kubectl, [`--kubeconfig=${stack.cluster.kubeconfigPath}`, 'port-forward', '-n', ns, 'pod/web', `${local}:80`]);
  t.teardown(() => pf.kill());
  await eventually('port-forward ready', async () => {
    const r = await fetch(`http://127.0.0.1:${local}/`).catch(() => undefined);
    return r?.ok;
  }, 30_000);
  const results = await Promise.all(Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${local}/`).then((r) => r.status)));
  t.deepEqual(results, Array(20).fill(200));
  t.is(await sessions('portforward', declareWebSocket ? 'websocket-spdy' : 'spdy'), 1, 'one port-forward session, over the transport the node declared');
});

/** kubectl with binary stdout kept as bytes. */
function kubectlBytes(args: string[]): Promise<{ stdout: Buffer; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(stack.cluster.bin.kubectl, [`--kubeconfig=${stack.cluster.kubeconfigPath}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: err, code }));
  });
}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('kubectl exec keeps stdout and stderr apart, byte for byte', async (t) => {
  const r = await stack.cluster.kubectl(['exec', '-n', ns, 'shell', '--', 'sh', '-c', 'echo out; echo err >&2']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'out\n', 'stdout carries only stdout');
  t.is(r.stderr, 'err\n', 'stderr carries only stderr');
  const bin = await kubectlBytes(['exec', '-n', ns, 'shell', '--', 'sh', '-c', 'echo noise >&2; head -c 1048576 /dev/zero | tr "\\000" e >&2; printf "\\000\\377\\r\\n"']);
  t.is(bin.code, 0, bin.stderr.slice(0, 500));
  t.deepEqual([...bin.stdout], [0, 255, 13, 10], 'binary stdout untouched, nothing from stderr in it');
  t.is(bin.stderr.length, 6 + (1 << 20), `stderr carries the megabyte (starts ${JSON.stringify(bin.stderr.slice(0, 80))})`);
  t.is(bin.stderr, `noise\n${'e'.repeat(1 << 20)}`);
});

test('kubectl cp into and out of a burst pod: a text file, 50 MiB of random bytes and a directory tree', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-cp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cp = async (from: string, to: string) => {
    const r = await stack.cluster.kubectl(['cp', from, to], { timeoutMs: 180_000 });
    t.is(r.code, 0, `kubectl cp ${from} ${to}: ${r.stderr}`);
  };
  const inPod = async (script: string) => {
    const r = await stack.cluster.kubectl(['exec', '-n', ns, 'files', '--', 'sh', '-c', script]);
    t.is(r.code, 0, r.stderr);
    return r.stdout;
  };

  // Text, written in the pod, copied out.
  await inPod('printf "report line 1\\nreport line 2\\n" > /data/report.txt');
  await cp(`${ns}/files:/data/report.txt`, join(dir, 'report.txt'));
  t.is(readFileSync(join(dir, 'report.txt'), 'utf8'), 'report line 1\nreport line 2\n');

  // 50 MiB of random bytes: in, checked in the pod, out again.
  const big = randomBytes(50 << 20);
  writeFileSync(join(dir, 'big.bin'), big);
  await cp(join(dir, 'big.bin'), `${ns}/files:/data/big.bin`);
  t.is((await inPod('sha256sum /data/big.bin')).split(' ')[0], sha256(big), 'the pod has exactly the bytes sent');
  await cp(`${ns}/files:/data/big.bin`, join(dir, 'big-back.bin'));
  t.is(sha256(readFileSync(join(dir, 'big-back.bin'))), sha256(big), 'the bytes copied out are the bytes copied in');

  // A directory tree, both ways.
  mkdirSync(join(dir, 'tree', 'a', 'b'), { recursive: true });
  writeFileSync(join(dir, 'tree', 'top.txt'), 'top\n');
  writeFileSync(join(dir, 'tree', 'a', 'b', 'deep.bin'), Buffer.from([0, 1, 2, 255]));
  await cp(join(dir, 'tree'), `${ns}/files:/data/tree`);
  t.is(await inPod('cd /data/tree && find . -type f | sort | xargs sha256sum'), ['./a/b/deep.bin', './top.txt'].map((f) => `${sha256(readFileSync(join(dir, 'tree', f)))}  ${f}\n`).join(''));
  await cp(`${ns}/files:/data/tree`, join(dir, 'tree-back'));
  t.is(readFileSync(join(dir, 'tree-back', 'top.txt'), 'utf8'), 'top\n');
  t.deepEqual([...readFileSync(join(dir, 'tree-back', 'a', 'b', 'deep.bin'))], [0, 1, 2, 255]);
});
