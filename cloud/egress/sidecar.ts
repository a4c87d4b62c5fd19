// The egress sidecar of a burst pod (networking mode `tunnel`, outbound): watches what the pod's namespace may
// reach (the relay's WatchExports, authenticated with the pod's credential), gives each exported Service a
// loopback address (addresses.ts) and listens there on the Service's ports, answers DNS for those names
// (dns-server.ts; everything else goes to the VPC's resolvers), and carries each accepted connection as one
// Connect stream to the relay, which has the cluster's agent dial the Service on-prem (the bytes on a data
// connection to the relay's data port when it offers one, else on the stream). A Service exported
// later is reachable as soon as the watch brings it; one no longer exported stops resolving and its listeners
// close. Refusals (not exported, agent gone) reset the pod's connection at once.
import * as grpc from '@grpc/grpc-js';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../common/log.js';
import { EgressServiceClient } from '../../proto/load.js';
import type { EgressClient } from '../../proto/gen/ecigw/egress/v1/Egress.js';
import type { Chunk, Chunk__Output } from '../../proto/gen/ecigw/egress/v1/Chunk.js';
import type { ExportList__Output } from '../../proto/gen/ecigw/egress/v1/ExportList.js';
import { addressPlan } from './addresses.js';
import { METADATA } from '../../proto/wire.js';
import { DATA_ACCEPTED_WITH_INPUT } from '../../proto/data-connection.js';
import { dialDataConnection, offeredDataConnection, type DataConnectionTarget } from '../../common/data-connection-dial.js';
import { startDnsServer } from './dns-server.js';

export interface SidecarOptions {
  token: string;
  relayAddress: string;
  serverName: string;
  caPem: string;
  namespace: string;
  podIP?: string;
  clusterDomain: string;
  upstreamDns: string[];
  /** DNS port (53; tests may use another). */
  dnsPort?: number;
  /** Connections through the sidecar at once (default 1024); beyond, new ones are reset. */
  maxConnections?: number;
  log: Logger;
}

const retryDelay = (failures: number) => Math.min(30_000, 500 * 2 ** failures);

export async function startSidecar(o: SidecarOptions): Promise<{ dnsPort: number; addressOf(namespace: string, name: string): string | undefined; close(): Promise<void> }> {
  const plan = addressPlan(o.podIP);
  const log = o.log;
  let closed = false;
  const closers: (() => void)[] = [];

  // Relay connections leave from the pod's own address, which the relay checks; where the pod shares the
  // host's loopback (the emulator) that needs binding, done by a forwarder in this process (TLS stays end to end).
  let target = o.relayAddress;
  if (plan.sharedLoopback && o.podIP) {
    const [host, port] = [o.relayAddress.replace(/:\d+$/, ''), Number(o.relayAddress.split(':').pop())];
    // No Nagle on either side: HTTP/2's small frames (WINDOW_UPDATE, headers) would wait for delayed ACKs.
    const fwd = createServer({ noDelay: true }, (c) => {
      const u = connect({ host, port, localAddress: o.podIP, noDelay: true });
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
      c.pipe(u).pipe(c);
    });
    await new Promise<void>((resolve) => fwd.listen(0, o.podIP, resolve));
    target = `${o.podIP}:${(fwd.address() as { port: number }).port}`;
    closers.push(() => fwd.close());
  }
  const client: EgressClient = new EgressServiceClient(target, grpc.credentials.createSsl(Buffer.from(o.caPem)), {
    'grpc.ssl_target_name_override': o.serverName,
    'grpc.default_authority': o.serverName,
    'grpc.enable_http_proxy': 0,
    // As the agent's tunnel: 256 KiB in flight per stream instead of HTTP/2's 64 KiB default.
    'grpc-node.flow_control_window': 256 * 1024,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  closers.push(() => client.close());
  const relayHost = o.relayAddress.replace(/:\d+$/, '');
  const dataTarget: DataConnectionTarget = { host: relayHost, servername: o.serverName, tls: () => ({ ca: Buffer.from(o.caPem) }), connectTimeoutMs: 4_000 };
  const metadata = () => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${o.token}`);
    return md;
  };

  // Exported Services: stable addresses, current listeners.
  const addressOfKey = new Map<string, string>();
  const exported = new Map<string, number[]>();
  const listeners = new Map<string, Server>();
  let open = 0;
  const addressOf = (namespace: string, name: string) => (exported.has(`${namespace}/${name}`) ? addressOfKey.get(`${namespace}/${name}`) : undefined);

  const apply = (list: ExportList__Output) => {
    exported.clear();
    const want = new Map<string, { namespace: string; name: string; address: string; port: number }>();
    for (const s of list.services) {
      const key = `${s.namespace}/${s.name}`;
      let address = addressOfKey.get(key);
      if (!address) {
        address = plan.serviceAddress(addressOfKey.size);
        if (!address) {
          log.warn({ service: key }, 'no loopback address left for an exported Service');
          continue;
        }
        addressOfKey.set(key, address);
      }
      exported.set(key, s.ports);
      for (const port of s.ports) want.set(`${address}:${port}`, { namespace: s.namespace, name: s.name, address, port });
    }
    for (const [k, server] of listeners) {
      if (want.has(k)) continue;
      server.close();
      listeners.delete(k);
    }
    for (const [k, w] of want) {
      if (listeners.has(k)) continue;
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (s) => accept(s, w.namespace, w.name, w.port));
      server.on('error', (e) => log.warn({ listen: k, err: e.message }, 'cannot listen for an exported Service'));
      server.listen(w.port, w.address);
      listeners.set(k, server);
    }
    log.info({ services: exported.size, listeners: listeners.size }, 'exported Services');
  };
  closers.push(() => {
    for (const s of listeners.values()) s.close();
  });

  const accept = (socket: Socket, namespace: string, name: string, port: number) => {
    socket.on('error', () => undefined);
    if (open >= (o.maxConnections ?? 1024)) return void socket.resetAndDestroy();
    open++;
    socket.once('close', () => open--);
    const md = metadata();
    md.set(METADATA.dataConnection, '1');
    md.set(METADATA.dataInput, '1');
    const call = client.Connect(md);
    let started = false;
    call.on('error', (e: grpc.ServiceError) => {
      if (!started || e.code !== grpc.status.CANCELLED) log.info({ service: `${namespace}/${name}`, port, code: grpc.status[e.code], err: e.details }, 'egress connection refused or broken');
      socket.resetAndDestroy();
    });
    call.on('metadata', (headers: grpc.Metadata) => {
      started = true;
      const offer = offeredDataConnection(headers);
      if (!offer) return pipe(socket, call);
      // The bytes on a data connection to the relay's data port: raw both ways, FIN for the half-close.
      dialDataConnection(dataTarget, offer).then(
        (data) => {
          data.once('data', (first: Buffer) => {
            if (first[0] !== DATA_ACCEPTED_WITH_INPUT) return void data.destroy();
            if (first.length > 1) socket.write(first.subarray(1));
            data.on('error', () => socket.resetAndDestroy());
            socket.on('error', () => data.destroy());
            data.once('close', () => (socket.destroyed ? undefined : socket.end(), call.end()));
            socket.pipe(data);
            data.pipe(socket);
            socket.resume();
          });
          data.resume();
        },
        (e: Error) => {
          log.warn({ err: e.message }, 'data connection to the relay failed; the bytes go on the call');
          pipe(socket, call);
        },
      );
    });
    socket.on('close', () => {
      if (!started) call.cancel();
    });
    call.write({ start: { namespace, name, port } });
  };

  const watch = async () => {
    let failures = 0;
    while (!closed) {
      await new Promise<void>((resolve) => {
        const call = client.WatchExports({}, metadata());
        closers.push(() => call.cancel());
        call.on('data', (list: ExportList__Output) => {
          failures = 0;
          apply(list);
        });
        call.on('error', (e: grpc.ServiceError) => {
          if (!closed) log.warn({ code: grpc.status[e.code], err: e.details }, 'export watch ended; retrying');
          resolve();
        });
        call.on('end', resolve);
      });
      if (!closed) await new Promise((r) => setTimeout(r, retryDelay(failures++)));
    }
  };
  void watch();

  const dns = await startDnsServer({
    host: plan.dnsHost,
    port: o.dnsPort ?? 53,
    table: { lookup: (namespace, name) => addressOf(namespace, name) },
    clusterDomain: o.clusterDomain,
    upstreams: o.upstreamDns,
    log,
  });
  log.info({ dns: `${plan.dnsHost}:${dns.port}`, relay: o.relayAddress, namespace: o.namespace }, 'egress sidecar running');
  return {
    dnsPort: dns.port,
    addressOf,
    async close() {
      closed = true;
      for (const c of closers) c();
      await dns.close();
    },
  };
}

/** Bytes both ways between the pod's connection and its Connect stream, back-pressured, half-closes passed on. */
function pipe(socket: Socket, call: grpc.ClientDuplexStream<Chunk, Chunk__Output>): void {
  let upDone = false;
  let downDone = false;
  const finish = () => upDone && downDone && call.end();
  socket.on('data', (b: Buffer) => {
    if (!call.write({ data: b })) {
      socket.pause();
      call.once('drain', () => socket.resume());
    }
  });
  socket.on('end', () => {
    call.write({ closeWrite: true });
    upDone = true;
    finish();
  });
  call.on('data', (m: Chunk__Output) => {
    if (m.msg === 'data' && m.data) {
      if (!socket.write(m.data)) {
        call.pause();
        socket.once('drain', () => call.resume());
      }
    } else if (m.msg === 'closeWrite') {
      socket.end();
      downDone = true;
      finish();
    }
  });
  call.on('end', () => socket.end());
  socket.resume();
}
