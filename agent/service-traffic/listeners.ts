// The agent's listeners for inbound Service traffic (networking mode `tunnel`): one TCP listener per burst
// pod and container port that a Service reaches, each published as that pod's endpoint. Every accepted
// connection becomes one Service connection through the tunnel (the relay dials the container group's VPC
// address and port); bytes, half-close and back-pressure pass through by piping, and a failure on either
// side resets the other, so a client never waits on a connection that is already gone.
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { SplicedLink } from '../tunnel/data-connection.js';
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../common/log.js';

/** One Service connection's tunnel session (TunnelClient.portForward's PortForwardSession). */
export interface CarriedSession {
  stream: Duplex;
  /** Asked for with `splice`: the data connection to move the bytes on directly, or undefined to use `stream`. */
  direct?: Promise<SplicedLink | undefined>;
  cancel(): void;
}

/** The tunnel as Service connections see it (TunnelClient.portForward with `service` and `splice`). */
export interface ServiceTunnel {
  portForward(start: { namespace: string; podName: string; podUid: string; port: number }, o: { service: true; splice: true }): Promise<CarriedSession>;
}

export interface ListenerOptions {
  /** Bind address of every listener (e.g. 0.0.0.0, or the pod IP). */
  host: string;
  /** Ports to take listeners from, inclusive; undefined = any free port the system gives. */
  portRange?: { first: number; last: number };
  /** Service connections open at once over all listeners; beyond it new ones are reset. */
  maxConnections: number;
}

/** Outcomes of accepted (inbound) or dialled (outbound) connections, for metrics. */
type ConnectionOutcome = 'opened' | 'refused_cap' | 'refused_not_exported' | 'failed';

/** What the agent's metrics hear about Service connections, each direction apart. */
export interface ServiceTrafficObserver {
  outcome(direction: 'inbound' | 'outbound', o: ConnectionOutcome): void;
  /** A connection that was opened ended: bytes each way and how long it lasted. */
  closed(direction: 'inbound' | 'outbound', c: { toPod: number; fromPod: number; seconds: number }): void;
}

export const NO_OBSERVER: ServiceTrafficObserver = { outcome: () => undefined, closed: () => undefined };

interface Listener {
  key: string;
  pod: V1Pod;
  targetPort: number;
  server: Server;
  port: number;
  sockets: Set<Socket>;
}

/**
 * Carries one Service connection's bytes between its local socket and its tunnel session, both ways, with
 * half-closes, and counts it (opened now; bytes and duration when it ends). When the session offers its data
 * connection (`direct`), the socket is piped straight to it: no session stream between, one hand-off fewer per
 * chunk. A failure on the tunnel side (refused, reset, tunnel lost) resets the socket, as a dead endpoint
 * would; a socket that goes away first, or not after both ways ended, cancels the session.
 */
export function carry(socket: Socket, session: CarriedSession, direction: 'inbound' | 'outbound', observe: ServiceTrafficObserver): void {
  observe.outcome(direction, 'opened');
  const since = performance.now();
  const stream = session.stream;
  let direct: TLSSocket | undefined;
  socket.once('close', () => observe.closed(direction, { toPod: socket.bytesRead, fromPod: socket.bytesWritten, seconds: (performance.now() - since) / 1000 }));
  stream.on('error', () => socket.resetAndDestroy());
  socket.on('error', () => session.cancel());
  socket.on('close', () => {
    const over = direct ? socket.readableEnded && socket.writableFinished : stream.writableFinished && stream.readableEnded;
    if (!over) session.cancel();
  });
  const through = (link: SplicedLink | undefined) => {
    if (socket.destroyed) return;
    if (!link) {
      socket.pipe(stream);
      stream.pipe(socket);
      return void socket.resume();
    }
    const tls = (direct = link.socket);
    // The link closing before both its ways ended is the relay giving up (or the tunnel going): a reset.
    tls.on('close', () => (tls.readableEnded && tls.writableFinished ? undefined : socket.resetAndDestroy()));
    if (link.leftover) socket.write(link.leftover);
    link.pump.start(tls, socket);
    socket.pipe(tls);
    socket.resume();
  };
  if (session.direct) void session.direct.then(through, () => through(undefined));
  else through(undefined);
}

/** The key of one pod's target port. */
export const listenerKey = (podUid: string, targetPort: number): string => `${podUid}/${targetPort}`;

export class ServiceListeners {
  private readonly listeners = new Map<string, Listener>();
  private nextPort: number;
  private open = 0;

  constructor(
    private readonly tunnel: ServiceTunnel,
    private readonly o: ListenerOptions,
    private readonly log: Logger,
    private readonly observe: ServiceTrafficObserver = NO_OBSERVER,
  ) {
    this.nextPort = o.portRange?.first ?? 0;
  }

  /** Connections open now. */
  get connections(): number {
    return this.open;
  }

  /** The listening port of a pod's target port, if there is a listener. */
  portOf(podUid: string, targetPort: number): number | undefined {
    return this.listeners.get(listenerKey(podUid, targetPort))?.port;
  }

  /**
   * Makes the set of listeners exactly `wanted` (key → the pod and its target port): opens what is missing,
   * closes (with their connections) what is no longer wanted, and keeps each listener's pod object current.
   * A listener that cannot be opened is logged and left out (its pod gets no endpoint until the next sync).
   */
  async sync(wanted: ReadonlyMap<string, { pod: V1Pod; targetPort: number }>): Promise<void> {
    for (const [key, l] of this.listeners) if (!wanted.has(key)) this.closeListener(l);
    for (const [key, w] of wanted) {
      const have = this.listeners.get(key);
      if (have) {
        have.pod = w.pod;
        continue;
      }
      try {
        const { server, port } = await this.bind((s) => this.accept(key, s));
        this.listeners.set(key, { key, pod: w.pod, targetPort: w.targetPort, server, port, sockets: new Set() });
      } catch (e) {
        this.log.warn({ pod: `${w.pod.metadata?.namespace}/${w.pod.metadata?.name}`, targetPort: w.targetPort, err: (e as Error).message }, 'no listener for a burst pod port');
      }
    }
  }

  /** Closes every listener and resets its connections. */
  close(): void {
    for (const l of this.listeners.values()) this.closeListener(l);
  }

  private closeListener(l: Listener): void {
    this.listeners.delete(l.key);
    l.server.close();
    for (const s of l.sockets) s.resetAndDestroy();
  }

  /** A listener on the next free port of the range (or any port without one). */
  private async bind(onConnection: (s: Socket) => void): Promise<{ server: Server; port: number }> {
    const range = this.o.portRange;
    const tries = range ? range.last - range.first + 1 : 1;
    let lastError: Error | undefined;
    for (let i = 0; i < tries; i++) {
      const port = range ? this.takePort(range) : 0;
      if (range && [...this.listeners.values()].some((l) => l.port === port)) continue;
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, onConnection);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, this.o.host, () => (server.off('error', reject), resolve()));
        });
        server.on('error', (e) => this.log.warn({ err: e.message }, 'Service listener failed'));
        return { server, port: (server.address() as { port: number }).port };
      } catch (e) {
        lastError = e as Error;
      }
    }
    throw new Error(range ? `no free port in ${range.first}-${range.last} on ${this.o.host}: ${lastError?.message ?? 'all taken by listeners'}` : `cannot listen on ${this.o.host}: ${lastError?.message}`);
  }

  private takePort(range: { first: number; last: number }): number {
    const port = this.nextPort;
    this.nextPort = port >= range.last ? range.first : port + 1;
    return port;
  }

  private accept(key: string, socket: Socket): void {
    socket.on('error', () => undefined);
    const l = this.listeners.get(key);
    if (!l) return void socket.resetAndDestroy();
    if (this.open >= this.o.maxConnections) {
      this.observe.outcome('inbound', 'refused_cap');
      this.log.warn({ open: this.open, max: this.o.maxConnections }, 'Service connection refused: network.maxConnections reached');
      return void socket.resetAndDestroy();
    }
    this.open++;
    l.sockets.add(socket);
    socket.once('close', () => {
      this.open--;
      l.sockets.delete(socket);
    });
    socket.setKeepAlive(true, 30_000);
    const pod = l.pod;
    this.tunnel
      .portForward({ namespace: pod.metadata?.namespace ?? '', podName: pod.metadata?.name ?? '', podUid: pod.metadata?.uid ?? '', port: l.targetPort }, { service: true, splice: true })
      .then(
        (session) => {
          if (socket.destroyed) return session.cancel();
          carry(socket, session, 'inbound', this.observe);
        },
        (e: Error) => {
          this.observe.outcome('inbound', 'failed');
          this.log.debug({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, port: l.targetPort, err: e.message }, 'Service connection could not be opened');
          socket.resetAndDestroy();
        },
      );
  }
}
