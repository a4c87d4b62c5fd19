// Bench (issue #8): interactive sessions end to end — built kubectl → real kube-apiserver → agent kubelet API →
// tunnel → relay → ECI sessions → emulator process runtime — with the agent and relay as separate CLI processes.
// Exec stdout and port-forward throughput as ratios of a direct loopback copy and of the kubelet's own
// streaming path (bench/support/kubelet-baseline.ts: a Node served by the upstream kubelet + CRI streaming
// code, reached through the same API server and kubectl) measured in the same run, `logs -f` line latency,
// and agent+relay memory while 100 `kubectl exec` sessions are open at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { percentile, type Bench, type Metrics } from './lib.js';
import { LocalCluster, ensureBinaries } from '../test/cluster/cluster.js';
import { startEmulatorProcess, startGatewayProcesses } from './gateway-processes.js';
import { cpuPerGiB, cpuSnapshot, formatCpu } from './support/cpu-account.js';
import { bounded } from './pod-tracker.js';
import { freePort } from '../test/helpers/ports.js';
import { startKubeletBaseline, type NodeRequest } from './support/kubelet-baseline.js';

const NODE = 'eci-stream-bench';
const NS = 'stream';
const say = (m: string) => process.stderr.write(`[stream ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** A TCP server that writes `BYTES` zero bytes to every connection, then closes it (python3 stdlib). */
const BLASTER = [
  'import os, socket, threading',
  "host = os.environ.get('BLAST_HOST') or os.environ['ECI_POD_IP']",
  "port = int(os.environ.get('BLAST_PORT', '9000'))",
  "total = int(os.environ.get('BLAST_BYTES', str(64 << 20)))",
  'chunk = bytes(1 << 16)',
  'def serve(c):',
  '    left = total',
  '    while left > 0:',
  '        n = min(left, len(chunk))',
  '        c.sendall(chunk[:n])',
  '        left -= n',
  '    c.close()',
  's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
  's.bind((host, port)); s.listen(64)',
  "print('listening', flush=True)",
  'while True:',
  '    c, _ = s.accept()',
  '    threading.Thread(target=serve, args=(c,), daemon=True).start()',
].join('\n');

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const PROBE = fileURLToPath(new URL('./support/throughput-probe.ts', import.meta.url));

type Rate = { bytes: number; bytesPerSec: number };

/** Runs the throughput probe (a process of its own, see its header) and returns what it measured. */
function probe(args: string[], timeoutMs: number): Promise<Rate> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROBE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`throughput probe ${args.join(' ')} failed (${code}): ${err.slice(-500)}`));
      const r = JSON.parse(out) as { bytes: number; seconds: number };
      resolve({ bytes: r.bytes, bytesPerSec: r.bytes / r.seconds });
    });
  });
}

/** Bytes/s of a command's stdout from its first byte to its end (excludes process and session start-up). */
const stdoutThroughput = (cmd: string, args: string[], timeoutMs: number) => probe(['stdout', cmd, ...args], timeoutMs);

/** Bytes/s of one TCP connection's download from first byte to the server's close. */
const tcpThroughput = (port: number, timeoutMs: number) => probe(['tcp', String(port)], timeoutMs);

/** The best of `rounds` runs (these machines are noisy; both sides of a ratio get the same number of tries). */
async function best(rounds: number, run: () => Promise<Rate>): Promise<Rate> {
  let top = await run();
  for (let i = 1; i < rounds; i++) {
    const r = await run();
    if (r.bytesPerSec > top.bytesPerSec) top = r;
  }
  return top;
}

/** The transport the API server used toward our agent for `kind`, from the agent's session counter. */
function agentTransport(metricsText: string, kind: string): string {
  return new RegExp(`^ecigw_kubelet_api_sessions_total\\{kind="${kind}",transport="([^"]+)"\\} [1-9]`, 'm').exec(metricsText)?.[1] ?? 'unknown';
}

/** Runs a command to its end; rejects with its stderr unless it exits 0. Resolves to its wall time in seconds. */
function timed(cmd: string, args: string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve((performance.now() - t0) / 1000);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-500)}`));
    });
  });
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function kill(children: ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

const SECTIONS = ['exec', 'portforward', 'cp', 'logs', 'sessions'] as const;

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    options: {
      mb: { type: 'string', default: '256' },
      sessions: { type: 'string', default: '100' },
      'logs-seconds': { type: 'string', default: '15' },
      rounds: { type: 'string', default: '3' },
      'cp-mb': { type: 'string', default: '256' },
      keep: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      // Session data connections (the relay's --data-port); --no-data measures the output on the gRPC stream.
      data: { type: 'boolean', default: true },
      // A comma-separated subset of the sections (for profiling one path); the metrics of the others are
      // missing, so such a run never passes.
      only: { type: 'string', default: SECTIONS.join(',') },
    },
    allowNegative: true,
  });
  const only = new Set(values.only.split(','));
  for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section ${s} (sections: ${SECTIONS.join(', ')})`);
  const bytes = Number(values.mb) * 2 ** 20;
  const sessions = Number(values.sessions);
  const rounds = Number(values.rounds);
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-bench-stream-'));
  /** Undone in reverse order; each may be sync or async, and a failing one does not stop the rest. */
  const cleanups: (() => unknown)[] = [];
  const children: ChildProcess[] = [];
  cleanups.push(() => kill(children));
  try {
    const bin = await ensureBinaries();
    const cluster = new LocalCluster();
    cleanups.push(() => cluster.stop({ keepDir: true }));
    const info = await cluster.start({ dir: join(dir, 'cluster'), bin });
    const kubectl = (...a: string[]) => [`--kubeconfig=${info.kubeconfigPath}`, ...a];
    // ECI is a remote service: the emulator runs in a process of its own, not on the load generator's event loop.
    const emu = await startEmulatorProcess(join(dir, 'emulator'), ['--runtime', 'process']);
    cleanups.push(() => emu.close());
    const prof = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'prof')}`] : [];
    const gw = await startGatewayProcesses({
      dir: join(dir, 'gateway'),
      kubeconfigPath: info.kubeconfigPath,
      clusterCaFile: info.pki.caCertPath,
      eci: { endpoint: emu.endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret },
      nodeName: NODE,
      clusterId: 'stream',
      nodeFlags: { agent: prof, relay: prof },
      dataConnections: values.data,
    });
    cleanups.push(() => gw.close());
    const kc = new KubeConfig();
    kc.loadFromFile(info.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    await until('virtual node Ready', async () => !!(await core.readNode({ name: NODE })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 60_000);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await until('default ServiceAccount', async () => !!(await core.readNamespacedServiceAccount({ name: 'default', namespace: NS })), 60_000);
    const pod = (name: string, command: string[], env: Record<string, string> = {}): V1Pod => ({
      metadata: { name },
      spec: {
        nodeName: NODE,
        containers: [{ name: 'main', image: 'busybox', command, env: Object.entries(env).map(([n, value]) => ({ name: n, value })) }],
      },
    });
    await core.createNamespacedPod({ namespace: NS, body: pod('shell', ['sh', '-c', 'exec sleep 3600']) });
    await core.createNamespacedPod({ namespace: NS, body: pod('ticker', ['sh', '-c', 'while true; do date +%s%3N; sleep 0.1; done']) });
    await core.createNamespacedPod({ namespace: NS, body: pod('blaster', ['python3', '-c', BLASTER], { BLAST_BYTES: String(bytes) }) });
    await until('pods Running', async () => {
      const items = (await core.listNamespacedPod({ namespace: NS })).items;
      return items.length === 3 && items.every((p) => p.status?.phase === 'Running');
    }, 120_000);
    say('pods Running');
    const kubelet = await startKubeletBaseline({ info, dir: join(dir, 'kubelet'), declareWebSocket: true }); // as our agent's node declares
    cleanups.push(() => kubelet.close());
    await kubelet.addPod('shell');
    await kubelet.addPod('blaster');
    const lastRequest = (kind: NodeRequest['kind']) => kubelet.requests.filter((r) => r.kind === kind).pop();
    say(`kubelet baseline node ${kubelet.nodeName} on 127.0.0.1:${kubelet.port} with 2 Running pods`);

    const cpu: Record<string, number> = {};
    /** Runs `fn` (moving `moved` bytes in all) and says where the machine's CPU went, per GiB. */
    const accounted = async <T>(label: string, moved: number, fn: () => Promise<T>): Promise<T> => {
      const before = cpuSnapshot();
      const r = await fn();
      const rows = cpuPerGiB(before, cpuSnapshot(), moved);
      cpu[label] = rows.reduce((a, row) => a + row.secondsPerGiB, 0);
      say(`  CPU s/GiB ${label}: ${formatCpu(rows)} (total ${cpu[label].toFixed(2)})`);
      return r;
    };
    const metrics: Metrics = {};
    /**
     * One path's figures (`exec`, `portforward`): ours against the kubelet's and a direct copy, the CPU per GiB
     * `accounted` measured for `<kind>_agent` and `<kind>_kubelet`, and the API server → node hop of each
     * (1 = WebSocket: exec v5, port-forward SPDY tunnelled in WebSocket; 0 = SPDY).
     */
    const pathMetrics = async (kind: 'exec' | 'portforward', r: { agent: Rate; kubelet: Rate; direct: Rate; directName: string }): Promise<Metrics> => {
      const hop = { agent: agentTransport(await gw.metrics('agent'), kind), kubelet: lastRequest(kind)?.transport ?? 'none' };
      const mb = (x: Rate) => (x.bytesPerSec / 1e6).toFixed(1);
      say(`${kind === 'exec' ? 'exec' : 'port-forward'} ${mb(r.agent)} MB/s (apiserver→agent ${hop.agent}) vs kubelet ${mb(r.kubelet)} MB/s (apiserver→kubelet ${hop.kubelet}) vs ${r.directName} ${mb(r.direct)} MB/s`);
      return {
        [`${kind}_throughput_ratio`]: r.agent.bytesPerSec / r.direct.bytesPerSec,
        [`${kind}_mb_per_s`]: r.agent.bytesPerSec / 1e6,
        [`${kind}_vs_kubelet_ratio`]: r.agent.bytesPerSec / r.kubelet.bytesPerSec,
        [`${kind}_kubelet_mb_per_s`]: r.kubelet.bytesPerSec / 1e6,
        [`${kind}_cpu_s_per_gib`]: cpu[`${kind}_agent`],
        [`${kind}_kubelet_cpu_s_per_gib`]: cpu[`${kind}_kubelet`],
        [`${kind}_agent_hop_websocket`]: Number(hop.agent.startsWith('websocket')),
        [`${kind}_kubelet_hop_websocket`]: Number(hop.kubelet.startsWith('websocket')),
      };
    };
    if (only.has('sessions')) {
      // 100 concurrent exec sessions: memory of the agent and relay processes while all are open. First, before
      // the throughput sections: the memory those leave behind is reported on its own (rss_after_streams_mb).
      const before = { agent: gw.memory('agent').rssMb, relay: gw.memory('relay').rssMb };
      let peak = before.agent + before.relay;
      let peakParts = before;
      const sample = setInterval(() => {
        const a = gw.memory('agent').rssMb;
        const r = gw.memory('relay').rssMb;
        if (a + r > peak) {
          peak = a + r;
          peakParts = { agent: a, relay: r };
        }
      }, 250);
      cleanups.push(() => clearInterval(sample));
      let up = 0;
      const holdSeconds = 20;
      const execs: ChildProcess[] = [];
      const started = Date.now();
      await bounded(sessions, 10, async (i) => {
        const c = spawn(bin.kubectl, kubectl('exec', '-n', NS, 'shell', '--', 'sh', '-c', `echo up-${i}; sleep ${holdSeconds}`), { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(c);
        execs.push(c);
        await new Promise<void>((resolve) => {
          c.stdout.once('data', () => (up++, resolve()));
          c.once('exit', () => resolve());
        });
      });
      const allUpMs = Date.now() - started;
      say(`${up}/${sessions} exec sessions open after ${allUpMs} ms; agent+relay RSS ${peak.toFixed(0)} MB (before ${(before.agent + before.relay).toFixed(0)})`);
      const exits = await Promise.all(execs.map((c) => (c.exitCode !== null ? Promise.resolve(c.exitCode) : new Promise<number | null>((r) => c.once('exit', r)))));
      clearInterval(sample);
      const ok = exits.filter((c) => c === 0).length;
      if (up < sessions) throw new Error(`only ${up} of ${sessions} exec sessions came up`);
      say(`${ok}/${sessions} sessions exited 0; peak agent ${peakParts.agent.toFixed(0)} MB + relay ${peakParts.relay.toFixed(0)} MB`);
      Object.assign(metrics, {
        sessions_100_rss_mb: peak,
        sessions_100_rss_before_mb: before.agent + before.relay,
        sessions_100_rss_delta_mb: peak - (before.agent + before.relay),
        sessions_100_exit_ok: ok,
      });
    }

    if (only.has('exec')) {
      // Exec stdout: a local pipe copy of the same command, then through kubectl exec to our agent and to the
      // kubelet baseline (the same command, run as a local process by the baseline's runtime).
      const produce = (n: number) => `head -c ${n} /dev/zero`;
      const direct = await best(rounds, () => stdoutThroughput('sh', ['-c', produce(bytes * 4)], 60_000));
      const execVia = (ns: string) => async () => {
        const r = await stdoutThroughput(bin.kubectl, kubectl('exec', '-n', ns, 'shell', '--', 'sh', '-c', produce(bytes)), 180_000);
        if (r.bytes !== bytes) throw new Error(`exec in ${ns} delivered ${r.bytes} of ${bytes} bytes`);
        return r;
      };
      const viaExec = await accounted('exec_agent', rounds * bytes, () => best(rounds, execVia(NS)));
      const viaKubeletExec = await accounted('exec_kubelet', rounds * bytes, () => best(rounds, execVia(kubelet.namespace)));
      Object.assign(metrics, await pathMetrics('exec', { agent: viaExec, kubelet: viaKubeletExec, direct, directName: 'local pipe' }));
    }
    if (only.has('portforward')) {
      // Port-forward: the same server program on 127.0.0.1 directly, then through kubectl port-forward.
      const localPort = await freePort();
      const localBlaster = spawn('python3', ['-c', BLASTER], { env: { ...process.env, BLAST_HOST: '127.0.0.1', BLAST_PORT: String(localPort), BLAST_BYTES: String(bytes) }, stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(localBlaster);
      await new Promise((r) => localBlaster.stdout?.once('data', r));
      const directTcp = await best(rounds, () => tcpThroughput(localPort, 60_000));
      // The agent's pod serves on its port 9000; the baseline's pods are this host, so it reaches the local blaster.
      const pfVia = async (ns: string, remotePort: number) => {
        const pfPort = await freePort();
        const pf = spawn(bin.kubectl, kubectl('port-forward', '-n', ns, 'pod/blaster', `${pfPort}:${remotePort}`), { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(pf);
        await new Promise((r) => pf.stdout?.once('data', r));
        try {
          await tcpThroughput(pfPort, 120_000); // warm-up: session set-up, TCP windows
          const r = await best(rounds, () => tcpThroughput(pfPort, 120_000));
          if (r.bytes !== bytes) throw new Error(`port-forward in ${ns} delivered ${r.bytes} of ${bytes} bytes`);
          return r;
        } finally {
          pf.kill();
        }
      };
      const viaPf = await accounted('portforward_agent', (rounds + 1) * bytes, () => pfVia(NS, 9000));
      const viaKubeletPf = await accounted('portforward_kubelet', (rounds + 1) * bytes, () => pfVia(kubelet.namespace, localPort));
      Object.assign(metrics, await pathMetrics('portforward', { agent: viaPf, kubelet: viaKubeletPf, direct: directTcp, directName: 'loopback TCP' }));
    }
    if (only.has('cp')) {
      // kubectl cp of random bytes into the pod and back out (tar over exec stdin, then stdout), wall time of each
      // command; the copy back must have the bytes sent. The baseline's "container" is this host: a path in `dir`.
      const cpBytes = Number(values['cp-mb']) * 2 ** 20;
      const blob = join(dir, 'cp-blob.bin');
      const out = createWriteStream(blob);
      for (let left = cpBytes; left > 0; left -= 1 << 24) if (!out.write(randomBytes(Math.min(left, 1 << 24)))) await once(out, 'drain');
      await new Promise((r) => out.end(r));
      const blobSum = await sha256File(blob);
      const cpVia = async (ns: string, podDir: string) => {
        await timed(bin.kubectl, kubectl('exec', '-n', ns, 'shell', '--', 'mkdir', '-p', podDir), 60_000);
        const to = cpBytes / (await timed(bin.kubectl, kubectl('cp', blob, `${ns}/shell:${podDir}/blob.bin`), 600_000)) / 1e6;
        const back = join(dir, `cp-back-${ns}.bin`);
        const from = cpBytes / (await timed(bin.kubectl, kubectl('cp', `${ns}/shell:${podDir}/blob.bin`, back), 600_000)) / 1e6;
        if (statSync(back).size !== cpBytes || (await sha256File(back)) !== blobSum) throw new Error(`kubectl cp through ${ns} did not bring back the bytes sent`);
        rmSync(back);
        return { to, from };
      };
      const cpAgent = await accounted('cp_agent', 2 * cpBytes, () => cpVia(NS, '/data'));
      const cpKubelet = await accounted('cp_kubelet', 2 * cpBytes, () => cpVia(kubelet.namespace, join(dir, 'kubelet-pod-data')));
      rmSync(blob);
      say(`kubectl cp ${values['cp-mb']} MiB to/from pod: agent ${cpAgent.to.toFixed(1)}/${cpAgent.from.toFixed(1)} MB/s, kubelet ${cpKubelet.to.toFixed(1)}/${cpKubelet.from.toFixed(1)} MB/s`);
      Object.assign(metrics, { cp_to_pod_mb_s: cpAgent.to, cp_from_pod_mb_s: cpAgent.from, cp_to_pod_kubelet_mb_s: cpKubelet.to, cp_from_pod_kubelet_mb_s: cpKubelet.from });
    }
    if (only.has('logs')) {
      // logs -f: every line carries its own wall-clock ms; arrival − timestamp is the latency.
      const lat: number[] = [];
      const follow = spawn(bin.kubectl, kubectl('logs', '-f', '--tail=0', '-n', NS, 'ticker'), { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(follow);
      let buf = '';
      follow.stdout.on('data', (d: Buffer) => {
        const now = Date.now();
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) if (/^\d{13}$/.test(l.trim())) lat.push(now - Number(l.trim()));
      });
      await new Promise((r) => setTimeout(r, Number(values['logs-seconds']) * 1000));
      follow.kill();
      if (lat.length < 10) throw new Error(`logs -f delivered only ${lat.length} lines`);
      // The first lines may be a backlog the follow caught up on; keep the steady state.
      const steady = lat.slice(Math.min(10, Math.floor(lat.length / 5))).sort((a, b) => a - b);
      say(`logs -f: ${lat.length} lines, p50 ${percentile(steady, 50)} ms, p99 ${percentile(steady, 99)} ms`);
      Object.assign(metrics, { logs_follow_p50_ms: percentile(steady, 50), logs_follow_p99_ms: percentile(steady, 99) });
    }
    if (only.has('exec') || only.has('portforward') || only.has('cp')) {
      // What the agent and relay hold after moving the bytes above (freed Buffers the allocator keeps for reuse,
      // and the V8 heap they grew); it does not grow with more traffic (README, "Limitations").
      const after = { agent: gw.memory('agent').rssMb, relay: gw.memory('relay').rssMb };
      say(`after the streams: agent ${after.agent.toFixed(0)} MB + relay ${after.relay.toFixed(0)} MB RSS`);
      Object.assign(metrics, { rss_after_streams_mb: after.agent + after.relay });
    }
    return {
      metrics,
      targets: {
        // Five hops (kubectl↔apiserver TLS, apiserver↔kubelet API TLS, gRPC tunnel, relay↔ECI WebSocket or TCP)
        // against one local pipe/socket copy: a tenth of loopback speed is plenty for interactive use.
        exec_throughput_ratio: { min: 0.1 },
        portforward_throughput_ratio: { min: 0.1 },
        // The honest yardstick: the same API server and kubectl in front of the kubelet's own streaming code.
        exec_vs_kubelet_ratio: { min: 0.7 },
        portforward_vs_kubelet_ratio: { min: 0.7 },
        logs_follow_p99_ms: { max: 1000 },
        // Agent + relay processes together; the idle floor (TypeScript loader + client libraries) is most of it.
        sessions_100_rss_mb: { max: 300 },
        sessions_100_rss_delta_mb: { max: 100 },
        sessions_100_exit_ok: { min: sessions },
      },
    };
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch((e) => say(`cleanup: ${String(e)}`));
    if (values.keep) say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
