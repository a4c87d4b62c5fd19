// Tunnel bench: unary intent round trip (p50/p99) and intents/s on one connection, exec stream
// throughput as a ratio of a direct loopback TCP copy measured in the same run, and memory per
// idle session stream. Relay, in-memory provider and agent client run in this process over real TLS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { percentile, type Bench } from './lib.js';
import { createCa, issueCert } from '../common/pki.js';
import { parseRelayConfig } from '../cloud/relay/config.js';
import { startRelay } from '../cloud/relay/server.js';
import { MemoryProvider } from '../cloud/provider/memory.js';
import { TunnelClient, type ExecSession } from '../agent/tunnel/client.js';

const STREAM_BYTES = 32 * 1024 * 1024;
const CHUNK = 32 * 1024;

function intent(uid: string) {
  return { uid, generation: 1, podJson: Buffer.from(JSON.stringify({ metadata: { name: `b-${uid.slice(0, 8)}`, namespace: 'bench', uid } })) };
}

/** Bytes/s of a plain loopback TCP copy of `total` bytes in CHUNK writes (the baseline). */
async function directTcpThroughput(total: number): Promise<number> {
  const chunk = Buffer.alloc(CHUNK, 0x79);
  const server = createServer((sock) => {
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!sock.write(chunk)) return void sock.once('drain', pump);
      }
      sock.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.on('data', () => undefined);
    s.on('end', resolve);
    s.on('error', reject);
  });
  const secs = (performance.now() - t0) / 1000;
  server.close();
  return total / secs;
}

async function drain(s: ExecSession): Promise<number> {
  let n = 0;
  s.stdout.on('data', (b: Buffer) => (n += b.length));
  await s.exit;
  return n;
}

function heapNow(): number {
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

const bench: Bench = async () => {
  setFlagsFromString('--expose-gc');
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-bench-'));
  const ca = await createCa('bench-ca');
  const srv = await issueCert(ca, { cn: 'relay', ips: ['127.0.0.1'], server: true });
  const cli = await issueCert(ca, { cn: 'agent-1', client: true });
  const f = (n: string, c: string) => (writeFileSync(join(dir, n), c), join(dir, n));
  const caFile = f('ca.pem', ca.certPem);
  const config = parseRelayConfig({
    tenants: { t1: { region: 'r', credentialsRef: 'x', vSwitchId: 'v', securityGroupId: 's', tags: {}, quotas: { maxPods: 1_000_000 }, clusterIds: ['c1'] } },
    certificateIdentities: { 'agent-1': 't1' },
    limits: { requestsPerSecond: 1_000_000, burst: 1_000_000, maxSessionsPerAgent: 1000, maxConcurrentStreams: 1000 },
  });
  const provider = new MemoryProvider();
  const relay = await startRelay({ tls: { certFile: f('s.pem', srv.certPem), keyFile: f('s-key.pem', srv.keyPem), clientCaFile: caFile }, config, provider });
  const client = new TunnelClient({
    target: `127.0.0.1:${relay.port}`,
    tls: { ca: { file: caFile }, cert: cli.certPem, key: cli.keyPem },
    clusterId: 'c1',
    nodeNames: ['bench'],
    agentId: 'agent-1',
    version: 'bench',
    proxy: null,
  });
  client.start();
  await new Promise((r) => client.once('connected', r));
  const metrics: Record<string, number> = {};
  try {
    // Unary round trip: sequential applies of new pods (bounded in count and time).
    for (let i = 0; i < 200; i++) await client.apply(intent(randomUUID())); // warm-up
    const rtts: number[] = [];
    const until = Date.now() + 15_000;
    for (let i = 0; i < 3000 && Date.now() < until; i++) {
      const t0 = performance.now();
      await client.apply(intent(randomUUID()));
      rtts.push(performance.now() - t0);
    }
    rtts.sort((a, b) => a - b);
    metrics.unary_rtt_p50_ms = percentile(rtts, 50);
    metrics.unary_rtt_p99_ms = percentile(rtts, 99);

    // Throughput of intents on one connection with 64 in flight.
    const total = 8000;
    let next = 0;
    const t0 = performance.now();
    const stopAt = Date.now() + 20_000;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < total && Date.now() < stopAt) {
          next++;
          await client.apply(intent(randomUUID()));
        }
      }),
    );
    metrics.intents_per_s = next / ((performance.now() - t0) / 1000);

    // Stream throughput: exec output through the tunnel vs a direct loopback TCP copy.
    const podUid = randomUUID();
    await client.apply(intent(podUid));
    const start = { podUid, container: 'main', command: ['yes', String(STREAM_BYTES)], stdout: true };
    await drain(await client.exec({ ...start, command: ['yes', String(4 * 1024 * 1024)] })); // warm-up
    // Alternate the two measurements and keep the best of each: the host is shared, and the best
    // run is the least disturbed one for both sides alike.
    let direct = 0;
    let tunnel = 0;
    for (let round = 0; round < 3; round++) {
      direct = Math.max(direct, await directTcpThroughput(STREAM_BYTES));
      const t1 = performance.now();
      const got = await drain(await client.exec(start));
      if (got !== STREAM_BYTES) throw new Error(`tunnel stream delivered ${got} of ${STREAM_BYTES} bytes`);
      tunnel = Math.max(tunnel, got / ((performance.now() - t1) / 1000));
    }
    metrics.stream_throughput_ratio = tunnel / direct;
    metrics.tunnel_stream_mb_s = tunnel / 1e6;
    metrics.direct_tcp_mb_s = direct / 1e6;

    // Memory per idle stream: open N idle exec sessions (stdin open, no traffic), both ends in-process.
    const N = 200;
    const before = heapNow();
    const idle: ExecSession[] = [];
    for (let i = 0; i < N; i++) idle.push(await client.exec({ podUid, container: 'main', command: ['cat'], stdin: true, stdout: true }));
    await new Promise((r) => setTimeout(r, 500));
    const after = heapNow();
    metrics.idle_stream_kb = (after - before) / N / 1024;
    for (const s of idle) s.stdin!.end();
    await Promise.all(idle.map((s) => s.exit.catch(() => undefined)));
  } finally {
    await client.stop();
    await relay.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    metrics,
    targets: {
      unary_rtt_p50_ms: { max: 5 },
      unary_rtt_p99_ms: { max: 50 },
      // Relay and agent share this process (and a shared 2-core host) here.
      intents_per_s: { min: 500 },
      stream_throughput_ratio: { min: 0.5 },
      idle_stream_kb: { max: 64 },
    },
  };
};

export default bench;
