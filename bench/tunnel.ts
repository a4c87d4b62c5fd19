// Tunnel bench: unary intent round trip (p50/p99) and intents/s on one connection, exec stream
// throughput as a ratio of a direct loopback TCP copy measured in the same run, and memory per
// idle session stream (both ends). The relay (in-memory provider) runs in its own process, as
// deployed (bench/support/tunnel-peer.ts); the agent's tunnel client runs here, over mutual TLS.
// The baseline copy has the same shape: that process sends, this one reads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { connect as h2Connect } from 'node:http2';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { percentile, type Bench } from './lib.js';
import { IMAGE_NODE_FLAGS } from './gateway-processes.js';
import { createCa, issueCert } from '../common/pki.js';
import type { PeerReady, PeerRequest, PeerStart } from './support/tunnel-peer.js';
import { TunnelClient, type ExecSession } from '../agent/tunnel/client.js';

/** Bytes per measured copy: long enough for both processes' JIT to settle (32 MiB runs read ~40% low). */
const STREAM_BYTES = 256 * 1024 * 1024;
const CHUNK = 32 * 1024;

function intent(uid: string) {
  return { uid, generation: 1, podJson: Buffer.from(JSON.stringify({ metadata: { name: `b-${uid.slice(0, 8)}`, namespace: 'bench', uid } })) };
}

/** Bytes/s of reading `total` bytes that the peer process sends over plain TCP, or over TLS. */
async function copyThroughput(port: number, total: number, tls?: { ca: string }): Promise<number> {
  const t0 = performance.now();
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    const s = tls ? tlsConnect({ port, host: '127.0.0.1', ca: tls.ca, servername: 'localhost' }) : tcpConnect(port, '127.0.0.1');
    s.on('data', (b: Buffer) => (got += b.length));
    s.on('end', resolve);
    s.on('error', reject);
  });
  if (got !== total) throw new Error(`baseline copy delivered ${got} of ${total} bytes`);
  return total / ((performance.now() - t0) / 1000);
}

/** Bytes/s of reading `total` bytes as one HTTP/2 response over TLS (the agent's window: 256 KiB). */
async function h2CopyThroughput(port: number, total: number, ca: string): Promise<number> {
  const window = 256 * 1024;
  const session = h2Connect(`https://localhost:${port}`, { ca, settings: { initialWindowSize: window } });
  await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
  session.setLocalWindowSize(window);
  const t0 = performance.now();
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    const req = session.request({ ':path': '/' });
    req.on('data', (b: Buffer) => (got += b.length));
    req.on('end', resolve);
    req.on('error', reject);
  });
  const secs = (performance.now() - t0) / 1000;
  session.close();
  if (got !== total) throw new Error(`HTTP/2 copy delivered ${got} of ${total} bytes`);
  return total / secs;
}

interface Peer {
  ready: PeerReady;
  heap(): Promise<number>;
  close(): Promise<void>;
}

async function startPeer(start: PeerStart): Promise<Peer> {
  const file = fileURLToPath(new URL('./support/tunnel-peer.ts', import.meta.url));
  // The fork inherits this process's Node flags (tsx's loader when run through `npm run bench`), plus the
  // relay image's V8 flags.
  const child: ChildProcess = fork(file, [], {
    env: { ...process.env, ECIGW_TUNNEL_PEER: JSON.stringify(start) },
    execArgv: [...process.execArgv, ...IMAGE_NODE_FLAGS.relay],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const next = <T>(): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`tunnel peer exited (${code}) before answering`));
      child.once('exit', onExit);
      child.once('message', (m) => (child.off('exit', onExit), resolve(m as T)));
    });
  const ready = await next<PeerReady>();
  const ask = (m: PeerRequest) => child.send(m);
  return {
    ready,
    heap: async () => (ask({ op: 'heap' }), (await next<{ heap: number }>()).heap),
    close: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      ask({ op: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
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
  // This process is the agent's side: the agent image's V8 flags, as far as V8 takes them at run time.
  for (const flag of IMAGE_NODE_FLAGS.agent) setFlagsFromString(flag);
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-bench-'));
  const ca = await createCa('bench-ca');
  const srv = await issueCert(ca, { cn: 'relay', dns: ['localhost'], ips: ['127.0.0.1'], server: true });
  const cli = await issueCert(ca, { cn: 'agent-1', client: true });
  const f = (n: string, c: string) => (writeFileSync(join(dir, n), c), join(dir, n));
  const caFile = f('ca.pem', ca.certPem);
  const peer = await startPeer({ certFile: f('s.pem', srv.certPem), keyFile: f('s-key.pem', srv.keyPem), caFile, tcpBytes: STREAM_BYTES, chunkBytes: CHUNK });
  const connected = async (dataConnections: boolean) => {
    const c = new TunnelClient({
      target: `localhost:${peer.ready.relayPort}`,
      tls: { ca: { file: caFile }, cert: cli.certPem, key: cli.keyPem },
      clusterId: 'c1',
      nodeNames: ['bench'],
      agentId: 'agent-1',
      version: 'bench',
      proxy: null,
      maxInteractiveSessions: 1000, // 200 idle sessions below; the relay here allows 1000 streams
      dataConnections,
    });
    c.start();
    await new Promise((r) => c.once('connected', r));
    return c;
  };
  // The gRPC stream's own figure, and the same agent with session data connections (proto/data-connection.ts).
  const client = await connected(false);
  const dataClient = await connected(true);
  const metrics: Record<string, number> = {};
  try {
    // Stream throughput (first, on a fresh tunnel and an empty provider): exec output through the tunnel vs a direct loopback TCP copy.
    const podUid = randomUUID();
    await client.apply(intent(podUid));
    const start = { podUid, container: 'main', command: ['yes', String(STREAM_BYTES)], stdout: true };
    await drain(await client.exec({ ...start, command: ['yes', String(32 * 1024 * 1024)] })); // warm-up
    // Alternate the measurements and keep the best of each: the host is shared, and the best run
    // is the least disturbed one for all of them alike.
    let direct = 0;
    let tlsOnly = 0;
    let h2Only = 0;
    let tunnel = 0;
    let viaData = 0;
    await drain(await dataClient.exec({ ...start, command: ['yes', String(32 * 1024 * 1024)] })); // warm-up
    for (let round = 0; round < 3; round++) {
      direct = Math.max(direct, await copyThroughput(peer.ready.tcpPort, STREAM_BYTES));
      tlsOnly = Math.max(tlsOnly, await copyThroughput(peer.ready.tlsPort, STREAM_BYTES, { ca: ca.certPem }));
      h2Only = Math.max(h2Only, await h2CopyThroughput(peer.ready.h2Port, STREAM_BYTES, ca.certPem));
      const t1 = performance.now();
      const got = await drain(await client.exec(start));
      if (got !== STREAM_BYTES) throw new Error(`tunnel stream delivered ${got} of ${STREAM_BYTES} bytes`);
      tunnel = Math.max(tunnel, got / ((performance.now() - t1) / 1000));
      const t2 = performance.now();
      const gotData = await drain(await dataClient.exec(start));
      if (gotData !== STREAM_BYTES) throw new Error(`data connection delivered ${gotData} of ${STREAM_BYTES} bytes`);
      viaData = Math.max(viaData, gotData / ((performance.now() - t2) / 1000));
    }
    metrics.stream_throughput_ratio = tunnel / direct;
    metrics.tunnel_stream_mb_s = tunnel / 1e6;
    metrics.direct_tcp_mb_s = direct / 1e6;
    // Context, not targets: the same copy over TLS alone (the ceiling of any encrypted tunnel) and as one
    // HTTP/2 response over TLS (Node's transport that grpc-js runs on, with no gRPC on top).
    metrics.tls_copy_ratio = tlsOnly / direct;
    metrics.h2_tls_copy_ratio = h2Only / direct;
    metrics.tunnel_vs_tls_ratio = tunnel / tlsOnly;
    // The yardstick the tunnel can be held to: the same bytes as one HTTP/2 response over TLS, which is what
    // grpc-js runs on (issue 18's target).
    metrics.tunnel_vs_h2_tls_ratio = tunnel / h2Only;
    metrics.data_connection_mb_s = viaData / 1e6;
    metrics.data_connection_vs_h2_tls_ratio = viaData / h2Only;

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

    // Memory per idle stream: open N idle exec sessions (stdin open, no traffic); live bytes of both
    // processes (agent client here, relay in the peer) after a full GC, before and after.
    const N = 200;
    const before = heapNow() + (await peer.heap());
    const idle: ExecSession[] = [];
    for (let i = 0; i < N; i++) idle.push(await client.exec({ podUid, container: 'main', command: ['cat'], stdin: true, stdout: true }));
    await new Promise((r) => setTimeout(r, 500));
    const after = heapNow() + (await peer.heap());
    metrics.idle_stream_kb = (after - before) / N / 1024;
    for (const s of idle) s.stdin!.end();
    await Promise.all(idle.map((s) => s.exit.catch(() => undefined)));
  } finally {
    await client.stop();
    await dataClient.stop();
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    metrics,
    targets: {
      unary_rtt_p50_ms: { max: 5 },
      unary_rtt_p99_ms: { max: 50 },
      intents_per_s: { min: 500 },
      stream_throughput_ratio: { min: 0.5 },
      tunnel_vs_h2_tls_ratio: { min: 0.8 },
      data_connection_vs_h2_tls_ratio: { min: 0.8 },
      idle_stream_kb: { max: 64 },
    },
  };
};

export default bench;
