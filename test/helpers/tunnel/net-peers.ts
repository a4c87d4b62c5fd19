// Test peers for the tunnel: a TCP forwarder whose connections can be severed for real (to cut the
// tunnel mid-stream), and a small HTTP CONNECT proxy built on node:http's `connect` event.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';

export interface Forwarder {
  port: number;
  /** Destroys every open connection (both sides) right now. */
  sever(): void;
  /** While paused, new connections are refused (accepted and destroyed at once). */
  setRefusing(v: boolean): void;
  connections(): number;
  /** Silently stops moving bytes on open connections (no FIN/RST): a dead path only keepalive detects. */
  blackhole(): void;
  /** New connections go to this port from now on. */
  setTarget(port: number): void;
  close(): Promise<void>;
}

/** `localAddress`: the source address of the forwarded connections (e.g. 127.0.0.3: another client host). */
export async function startForwarder(targetPort: number, o: { localAddress?: string } = {}): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((inbound) => {
    if (refusing) return inbound.destroy();
    const outbound = connect({ port: targetPort, host: '127.0.0.1', localAddress: o.localAddress });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    sever: () => {
      for (const s of sockets) s.destroy();
    },
    setRefusing: (v) => {
      refusing = v;
    },
    blackhole: () => {
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    setTarget: (p) => {
      targetPort = p;
    },
    connections: () => sockets.size / 2,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface ConnectProxy {
  port: number;
  /** host:port of every CONNECT request seen. */
  requests: string[];
  close(): Promise<void>;
}

/** A real CONNECT proxy: answers 200 and splices bytes; anything but CONNECT gets 405. */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: HttpServer = createHttpServer((req, res) => {
    res.writeHead(405).end('CONNECT only\n');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    requests.push(req.url ?? '');
    const [host, portStr] = (req.url ?? '').split(':');
    const upstream = connect(Number(portStr), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
