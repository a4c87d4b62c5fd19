// End to end: the real kube-apiserver proxies the real kubectl's exec, exec -it, logs, port-forward
// and attach to our kubelet API, on a node that declares ExtendWebSocketsToKubelet (apiserver speaks
// WebSocket / SPDY-in-WebSocket to us) and on one that does not (apiserver speaks SPDY/3.1 to us).
import test from 'ava';
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { request } from 'undici';
import { useCluster, type ClusterHandle } from '../../cluster/fixture.js';
import { startTestNode, type TestNode } from './e2e-node.js';
import { sessionsCounted } from '../../helpers/kubelet-sessions.js';
import { eventually } from '../../helpers/wait.js';

const execFileP = promisify(execFile);
const modes = [
  { mode: 'spdy', declare: false },
  { mode: 'websocket', declare: true },
] as const;

let c: ClusterHandle;
const nodes = new Map<string, TestNode>();

test.before(async () => {
  c = await useCluster();
  for (const m of modes) {
    const node = await startTestNode(c, `kapi-${m.mode}-${process.pid}`, m.declare);
    nodes.set(m.mode, node);
    await node.addPod('app', [
      { name: 'ticker', command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done'] },
      { name: 'echo', command: ['sh', '-c', 'while read l; do echo echo-$l; done'], stdin: true },
    ]);
  }
});

test.after.always(async () => {
  for (const n of nodes.values()) await n.close();
});

/** Sessions our server counted for this kind and transport: proves which protocol the apiserver spoke to us. */
const sessions = (mode: string, kind: string, transport: string) => sessionsCounted([nodes.get(mode)!.server], kind, transport);

function ns(mode: string): string {
  return nodes.get(mode)!.namespace;
}

/** Runs kubectl with stdin held open until `until` matches stdout, then ends stdin or kills it. */
function kubectlStream(args: string[], until: RegExp, opts: { stdin?: string; kill?: boolean; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(c.bin.kubectl, [`--kubeconfig=${c.kubeconfigPath}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let matched = false;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`kubectl ${args.join(' ')} timed out; stdout=${stdout} stderr=${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    if (opts.stdin) p.stdin.write(opts.stdin);
    p.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (!matched && until.test(stdout)) {
        matched = true;
        if (opts.kill) p.kill('SIGTERM');
        else p.stdin.end();
      }
    });
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

for (const { mode } of modes) {
  test.serial(`${mode}: kubectl exec pipes stdin and returns the exit code`, async (t) => {
    const r = await c.kubectl(['exec', '-i', '-n', ns(mode), 'app', '-c', 'ticker', '--', 'sh', '-c', 'cat; echo to-stderr >&2; exit 3'], { input: 'hello through the kubelet\n' });
    t.is(r.stdout, 'hello through the kubelet\n', r.stderr);
    t.regex(r.stderr, /to-stderr/);
    t.is(r.code, 3);
    const ok = await c.kubectl(['exec', '-n', ns(mode), 'app', '-c', 'ticker', '--', 'true']);
    t.is(ok.code, 0, ok.stderr);
    t.is(await sessions(mode, 'exec', mode), 2);
  });

  test.serial(`${mode}: a command that cannot start is reported as an error; killing kubectl aborts the backend`, async (t) => {
    const r = await c.kubectl(['exec', '-n', ns(mode), 'app', '-c', 'ticker', '--', 'no-such-binary-kapi']);
    t.not(r.code, 0);
    t.regex(r.stderr, /error executing command in container: spawn no-such-binary-kapi ENOENT/);
    const node = nodes.get(mode)!;
    const before = node.backend.aborts.length;
    await kubectlStream(['exec', '-n', ns(mode), 'app', '-c', 'ticker', '--', 'sh', '-c', 'echo running; exec sleep 30'], /running/, { kill: true });
    await eventually('the backend to see the exec aborted', () => node.backend.aborts.slice(before).includes('exec:sh -c echo running; exec sleep 30'), 30_000, 100);
    t.true(node.backend.aborts.slice(before).includes('exec:sh -c echo running; exec sleep 30'));
  });

  test.serial(`${mode}: kubectl exec -it runs under a terminal with the caller's size`, async (t) => {
    const cmd = `stty rows 33 cols 101; ${c.bin.kubectl} --kubeconfig=${c.kubeconfigPath} exec -it -n ${ns(mode)} app -c ticker -- sh -c 'stty size; tty >/dev/null && echo is-a-tty'`;
    const r = await execFileP('script', ['-qfec', cmd, '/dev/null'], { timeout: 60_000 });
    t.regex(r.stdout, /33 101/);
    t.regex(r.stdout, /is-a-tty/);
  });

  test.serial(`${mode}: kubectl logs honours tail, since and timestamps; -f sees new lines and stops cleanly`, async (t) => {
    const node = nodes.get(mode)!;
    const tail = await c.kubectl(['logs', '-n', ns(mode), 'app', '-c', 'ticker', '--tail=2']);
    t.is(tail.code, 0, tail.stderr);
    t.is(tail.stdout.trim().split('\n').length, 2);
    t.regex(tail.stdout, /^tick-\d+\ntick-\d+\n$/);
    const ts = await c.kubectl(['logs', '-n', ns(mode), 'app', '-c', 'ticker', '--tail=1', '--timestamps']);
    t.regex(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z tick-\d+\n$/);
    const none = await c.kubectl(['logs', '-n', ns(mode), 'app', '-c', 'ticker', '--since-time=2099-01-01T00:00:00Z']);
    t.is(none.stdout, '');
    const recent = await c.kubectl(['logs', '-n', ns(mode), 'app', '-c', 'ticker', '--since=1h', '--limit-bytes=7']);
    t.is(recent.stdout, 'tick-1\n');
    const last = Number(/tick-(\d+)\n$/.exec(tail.stdout)![1]);
    const before = node.backend.aborts.length;
    // -f prints the newest line and then every new one as it comes: five lines in a row, however long the
    // calls above took.
    const f = await kubectlStream(['logs', '-f', '-n', ns(mode), 'app', '-c', 'ticker', '--tail=1'], /^(tick-\d+\n){5}/, { kill: true });
    const seen = [...f.stdout.matchAll(/tick-(\d+)\n/g)].map((m) => Number(m[1]));
    t.true(seen[0] >= last, `starts at the newest line (${seen[0]} after ${last})`);
    t.deepEqual(seen.slice(0, 5), [0, 1, 2, 3, 4].map((i) => seen[0] + i), 'new lines, in order, none lost or repeated');
    // The client went away: the backend's log stream must see the abort.
    await eventually('the backend to see the log stream aborted', () => node.backend.aborts.slice(before).includes('logs:ticker'), 30_000, 100);
    t.true(node.backend.aborts.slice(before).includes('logs:ticker'));
  });

  test.serial(`${mode}: kubectl port-forward carries many parallel HTTP connections`, async (t) => {
    const http = createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => (body += b.toString()));
      req.on('end', () => res.end(`echo:${req.url}:${body}`));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    t.teardown(() => http.close());
    const podPort = (http.address() as AddressInfo).port;
    const pf = spawn(c.bin.kubectl, [`--kubeconfig=${c.kubeconfigPath}`, 'port-forward', '-n', ns(mode), 'pod/app', `:${podPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => pf.kill('SIGKILL'));
    const local = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`port-forward did not start: ${out}`)), 30_000);
      pf.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      pf.stderr.on('data', (b: Buffer) => (out += b.toString()));
    });
    const n = 24;
    const results = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const r = await request(`http://127.0.0.1:${local}/req-${i}`, { method: 'POST', body: `payload-${i}-${'x'.repeat(i * 1000)}`, reset: true });
        return await r.body.text();
      }),
    );
    results.forEach((body, i) => t.is(body, `echo:/req-${i}:payload-${i}-${'x'.repeat(i * 1000)}`));
    // Which transport the apiserver used; kubectl falls back to SPDY when a WebSocket upgrade is refused.
    const byTransport = { spdy: await sessions(mode, 'portforward', 'spdy'), 'websocket-spdy': await sessions(mode, 'portforward', 'websocket-spdy') };
    t.is(byTransport[mode === 'spdy' ? 'spdy' : 'websocket-spdy'], 1, JSON.stringify(byTransport));
  });

  test.serial(`${mode}: kubectl attach streams the main process and feeds its stdin`, async (t) => {
    const r = await kubectlStream(['attach', '-i', '-n', ns(mode), 'app', '-c', 'echo'], /echo-ping/, { stdin: 'ping\n' });
    t.regex(r.stdout, /echo-ping/);
    const out = await kubectlStream(['attach', '-n', ns(mode), 'app', '-c', 'ticker'], /tick-\d+\n/, { kill: true });
    t.regex(out.stdout, /tick-\d+/);
  });
}
