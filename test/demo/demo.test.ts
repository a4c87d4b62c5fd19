// Runs the demo non-interactively, as a user would (`npm run demo`), and checks its outcome: the burst
// pods ran on ECI, logs and exec went through the tunnel, the groups were released, and it cleaned up;
// as root, the agent ran in networking mode tunnel and Service traffic went both ways (else the demo says
// why it skipped that); the story carries no JSON log line (those go to the file it names); and a demo
// killed with SIGKILL leaves none of the processes it started (cluster, emulator, containers) running,
// nor its network namespace.
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/wait.js';
import { descendants, isAlive } from '../cluster/pids.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  out: string;
  stderr: string;
}

function run(args: string[], o: { detached?: boolean; onLine?: (line: string, pid: number) => void } = {}): Promise<Run> {
  return new Promise((resolve) => {
    // Logs at info (ava's NODE_ENV=test would silence them), so the test sees that they exist and where they go.
    const env = { ...process.env, LOG_LEVEL: 'info' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env, detached: o.detached });
    let out = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) o.onLine?.(l, child.pid as number);
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGINT'), 400_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, stderr });
    });
  });
}

const logFileOf = (out: string) => /^Component logs \(JSON lines[^)]*\) go to (\S+)$/m.exec(out)?.[1];

/** As root the demo runs the agent in networking mode tunnel (a network namespace host); otherwise it says it skips that. */
const tunnel = process.getuid?.() === 0;
/** The address the demo's agent advertised (its network-namespace host), from the story. */
const advertisedOf = (out: string) => /networking mode tunnel: burst pods get no pod IP; the agent advertises its listeners at (10\.251\.\d+\.\d+) /.exec(out)?.[1];
/** Whether this machine still has the host side of that namespace's veth pair (the namespace's address minus one). */
function vethLeft(address: string): boolean {
  const parts = address.split('.').map(Number);
  const hostSide = [...parts.slice(0, 3), parts[3] - 1].join('.');
  return execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).includes(` ${hostSide}/30 `);
}

/** The Service-traffic part: inbound through the agent's endpoints, outbound to an exported on-prem Service. */
function assertServiceTraffic(t: ExecutionContext, out: string, burst: number): void {
  t.regex(out, /Running\s+0\s+\S+\s+<none>\s+eci-burst/, 'kubectl get pods -o wide: burst pods have no pod IP in networking mode tunnel');
  t.regex(out, /hello from the container of web-\S+ \(no pod IP in networking mode tunnel\)/, 'exec went through the tunnel');
  t.regex(out, new RegExp(`Service web \\(ClusterIP [\\d.]+:80\\) selects the Deployment's pods; for the ${burst} burst pods the agent published EndpointSlices of its own listeners at 10\\.251\\.`));
  const answered = [...out.matchAll(/^ {4}10\.251\.\d+\.\d+:\d+ \(endpoint of (\S+)\): answered by (\S+): "eci-emulator web: (\S+) GET \/"$/gm)];
  t.is(answered.length, burst, `one answer per burst endpoint:\n${out}`);
  for (const [line, named, pod, hostname] of answered) t.true(named === pod && pod === hostname, `answered by the pod its endpoint names: ${line}`);
  t.is(new Set(answered.map((m) => m[1])).size, burst, 'each endpoint is a different pod');
  t.regex(out, new RegExp(`${burst} of ${burst} burst endpoints answered, each by the pod its EndpointSlice names`));
  t.regex(out, /on-prem Service inventory: an HTTP server on this machine \(127\.0\.0\.1:\d+\) behind a Service without selector whose EndpointSlice names 10\.251\.\d+\.\d+:8080, exported to burst pods \(ecigw\.io\/burst-export: "true"\)/);
  t.regex(out, /kubectl exec web-\S+ -- node -e "fetch\('http:\/\/inventory\/stock'\)\.\.\."/);
  t.regex(out, /^ {4}on-prem inventory: GET \/stock served in the datacenter at 127\.0\.0\.1:\d+$/m, 'the burst pod read the on-prem Service by name');
  t.notRegex(out, /skipping the Service-traffic part/);
}

test.serial('the demo bursts to ECI and back, then cleans up; the story has no JSON log line, the logs are in the file it names', async (t) => {
  t.timeout(600_000);
  const { code, out, stderr } = await run(['--replicas', '5']);
  const logFile = logFileOf(out);
  t.teardown(() => logFile && rmSync(dirname(logFile), { recursive: true, force: true }));
  t.is(code, 0, out);
  t.regex(out, /2 pods Running on ECI after/);
  if (tunnel) {
    assertServiceTraffic(t, out, 2);
    const address = advertisedOf(out) as string;
    t.truthy(address, 'the demo names the address its agent advertises');
    t.false(vethLeft(address), 'the network namespace is gone (with its veth pair)');
  } else {
    t.regex(out, /Running\s+0\s+\S+\s+127\.10\.\d+\.\d+\s+eci-burst/, 'kubectl get pods -o wide shows ECI IPs on the virtual node');
    t.regex(out, /hello from the container at 127\.10\./, 'exec went through the tunnel');
    t.regex(out, /^\[\s*[\d.]+s\] skipping the Service-traffic part \(networking mode tunnel; the agent runs in mode routed\): not running as root/m, 'one line says why');
  }
  t.regex(out, /web: listening on/, 'logs came through the tunnel');
  t.regex(out, /the 3 on-prem pods stayed: web-\S+, web-\S+, web-\S+/, 'scale-in gave the burst pods back first');
  t.regex(out, /Summary: burst of 2 pods Running on ECI in [\d.]+s, released in [\d.]+s; \d+ ECI calls \(.*CreateContainerGroup 2.*DeleteContainerGroup 2/);
  t.regex(out, /cleaning up/);
  // The story: no JSON log line, nothing on stderr, and the log file named before anything else.
  t.is(stderr, '', 'nothing on stderr');
  const json = out.split('\n').filter((l) => l.trimStart().startsWith('{'));
  t.deepEqual(json, [], 'no JSON log line in the story');
  t.truthy(logFile, `the demo names its log file:\n${out}`);
  t.true(out.startsWith('Component logs'), 'the log file is named first');
  // The logs were written, to that file: every component's JSON lines are there.
  t.true(existsSync(logFile as string));
  const entries = readFileSync(logFile as string, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { component?: string });
  const components = new Set(entries.map((e) => e.component));
  for (const c of ['eci-emulator', 'relay', 'node-identity']) t.true(components.has(c), `${c} logged to the file (components: ${[...components].join(', ')})`);
});

test.serial('a demo killed with SIGKILL leaves nothing running: cluster, emulator, containers and the watcher all die', async (t) => {
  t.timeout(600_000);
  let tree: number[] = [];
  let logFile: string | undefined;
  let address: string | undefined;
  const names = (pids: number[]) =>
    pids.map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        return '';
      }
    });
  const done = run(['--replicas', '4'], {
    detached: true, // its own process group, so the test can SIGKILL the launcher and the story at once
    onLine(line, pid) {
      logFile ??= logFileOf(line);
      address ??= advertisedOf(line);
      if (!/1 pods Running on ECI after/.test(line) || tree.length > 0) return;
      tree = descendants(pid);
      process.kill(-pid, 'SIGKILL');
    },
  });
  t.teardown(() => {
    if (logFile) rmSync(dirname(logFile), { recursive: true, force: true });
    for (const p of tree.filter(isAlive)) {
      try {
        process.kill(p, 'SIGKILL'); // only when the test failed
      } catch {
        /* gone */
      }
    }
  });
  const r = await done;
  t.true(tree.length > 0, `killed at the burst:\n${r.out}`);
  const cmdlines = names(tree).join('\n');
  // The kill struck while everything ran: the control plane, the emulator, a container and the watcher.
  const started = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'eci-emulator.js', 'web-server.mjs', 'reaper-watch.mjs'];
  // In networking mode tunnel also each burst pod's egress sidecar.
  if (tunnel) started.push('gateway-egress.js');
  for (const what of started) {
    t.true(cmdlines.includes(what), `${what} was running at the kill:\n${cmdlines}`);
  }
  await eventually('every process the demo started is gone', () => tree.every((p) => !isAlive(p)), 90_000, 250).catch((e: Error) => {
    throw new Error(`${e.message}; still alive:\n${names(tree.filter(isAlive)).join('\n')}`);
  });
  if (tunnel) {
    t.truthy(address, `the demo named its advertised address:\n${r.out}`);
    await eventually('the demo\'s network namespace gone (with its veth pair)', () => !vethLeft(address as string), 10_000, 100);
  }
  t.pass();
});

test('the demo rejects a bad flag with exit code 2', async (t) => {
  const { code, out } = await run(['--replicas', 'lots']);
  t.is(code, 2);
  t.regex(out, /--replicas must be a whole number/);
});
