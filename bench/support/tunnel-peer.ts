// Cloud side of the tunnel bench, run as its own OS process (as it is deployed): a relay over
// mutual TLS with the in-memory provider, and plain TCP, TLS and HTTP/2-over-TLS servers that send the
// same bytes for the baseline copies. Started by bench/tunnel.ts with fork(); talks to it over the IPC channel.
import { createServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { createSecureServer } from 'node:http2';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseRelayConfig } from '../../cloud/relay/config.js';
import { startRelay } from '../../cloud/relay/server.js';
import { MemoryProvider } from '../../test/helpers/memory-provider.js';

export interface PeerStart {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Bytes the baseline TCP server sends to each connection. */
  tcpBytes: number;
  chunkBytes: number;
}
export interface PeerReady {
  relayPort: number;
  tcpPort: number;
  /** The same bytes over TLS with the relay's certificate (context for the tunnel's figure). */
  tlsPort: number;
  /** The same bytes as one HTTP/2 response over TLS: Node's transport under grpc-js, with no gRPC on top. */
  h2Port: number;
}
/** Requests from the bench: `heap` answers with this process's live bytes after a full GC. */
export type PeerRequest = { op: 'heap' } | { op: 'close' };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function liveBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

function pump(sock: Socket, total: number, chunk: Buffer): void {
  let sent = 0;
  const more = (): void => {
    while (sent < total) {
      sent += chunk.length;
      if (!sock.write(chunk)) return void sock.once('drain', more);
    }
    sock.end();
  };
  more();
}

const start = JSON.parse(process.env.ECIGW_TUNNEL_PEER ?? '{}') as PeerStart;
const config = parseRelayConfig({
  tenants: { t1: { region: 'r', credentialsRef: 'x', vSwitchId: 'v', securityGroupId: 's', tags: {}, quotas: { maxPods: 1_000_000 }, clusterIds: ['c1'] } },
  certificateIdentities: { 'agent-1': 't1' },
  limits: { requestsPerSecond: 1_000_000, burst: 1_000_000, sessionsPerSecond: 1_000_000, sessionBurst: 1_000_000, maxSessionsPerAgent: 1000, maxExecSessionsPerAgent: 1000, maxConcurrentStreams: 1000 },
});
const relay = await startRelay({ tls: { certFile: start.certFile, keyFile: start.keyFile, clientCaFile: start.caFile }, config, provider: new MemoryProvider(), data: { port: 0 } });
const chunk = Buffer.alloc(start.chunkBytes, 0x79);
const tcp = createServer((sock) => pump(sock, start.tcpBytes, chunk));
await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
const tls = createTlsServer({ cert: readFileSync(start.certFile), key: readFileSync(start.keyFile) }, (sock) => pump(sock, start.tcpBytes, chunk));
await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
const h2 = createSecureServer({ cert: readFileSync(start.certFile), key: readFileSync(start.keyFile) }, (_req, res) => {
  let sent = 0;
  const more = (): void => {
    while (sent < start.tcpBytes) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end();
  };
  more();
});
await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
const port = (s: { address(): unknown }) => (s.address() as { port: number }).port;

process.on('message', (m: PeerRequest) => {
  if (m.op === 'heap') process.send!({ heap: liveBytes() });
  else void relay.close().finally(() => (h2.close(), tls.close(), tcp.close(() => process.exit(0))));
});
process.on('disconnect', () => process.exit(0));
process.send!({ relayPort: relay.port, tcpPort: port(tcp), tlsPort: port(tls), h2Port: port(h2) } satisfies PeerReady);
