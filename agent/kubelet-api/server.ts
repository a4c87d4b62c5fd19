// The agent's kubelet HTTPS API (port 10250): authenticates and authorizes every request like the
// kubelet, then serves logs, stats, metrics, pods and the streaming endpoints (exec, attach,
// portForward over SPDY/3.1, WebSocket channels and SPDY-in-WebSocket tunnels) from a KubeletBackend.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { newRegistry, type Registry } from '../../common/metrics.js';
import { logger } from '../../common/log.js';
import { createCa, issueCert } from '../../common/pki.js';
import type { KubeletBackend } from './backend.js';
import { KubeletAuthenticator, type AuthCacheTtls } from './auth.js';
import { route, parseLogOptions, negotiate, type Route } from './routes.js';
import { renderResourceMetrics } from './resource-metrics.js';
import { kubeletApiMetrics, type KubeletApiMetrics } from './metrics.js';
import { SpdySession } from './spdy/session.js';
import { ChannelMux } from './channels.js';
import { SPDY_EXEC_PROTOCOLS, WS_EXEC_PROTOCOLS, parseStreamOptions, serveSpdyCommand, serveWebSocketCommand } from './remotecommand.js';
import {
  SPDY_PORTFORWARD_PROTOCOLS,
  WS_PORTFORWARD_PROTOCOLS,
  WS_PORTFORWARD_TUNNEL_PROTOCOL,
  parsePort,
  serveSpdyPortForward,
  serveWebSocketPortForward,
} from './portforward.js';

const log = logger('kubelet-api');

export interface KubeletServerOptions {
  host: string;
  port: number;
  nodeName: string;
  /** Serving certificate; self-generated (ECDSA P-256) for `addresses` when absent. */
  tls?: { cert: string; key: string };
  /** IPs / DNS names for the self-generated serving certificate's SANs. */
  addresses?: string[];
  /** CA that signs client certificates (the apiserver's kubelet-client certificate). */
  clientCaPem: string;
  /** Credentials for TokenReview and SubjectAccessReview. */
  kubeConfig: KubeConfig;
  backend: KubeletBackend;
  registry?: Registry;
  authCacheTtls?: Partial<AuthCacheTtls>;
  /** Streaming sessions close after this long without traffic (kubelet default 4h). */
  streamIdleTimeoutMs?: number;
  /** Time the client gets to open all its SPDY streams (kubelet: 30s). */
  streamCreationTimeoutMs?: number;
  /** Largest WebSocket message accepted. */
  maxWebSocketMessage?: number;
}

export interface KubeletServer {
  port: number;
  registry: Registry;
  close(): Promise<void>;
}

async function selfSignedServing(nodeName: string, addresses: string[]): Promise<{ cert: string; key: string }> {
  const ca = await createCa(`${nodeName}-ca@${Math.floor(Date.now() / 1000)}`);
  const isIp = (a: string) => /^[\d.]+$/.test(a) || a.includes(':');
  const leaf = await issueCert(ca, {
    cn: `${nodeName}@${Math.floor(Date.now() / 1000)}`,
    dns: [nodeName, ...addresses.filter((a) => !isIp(a))],
    ips: addresses.filter(isIp),
    server: true,
  });
  return { cert: leaf.certPem + ca.certPem, key: leaf.keyPem };
}

function rawResponse(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  const reason = ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' } as Record<number, string>)[status] ?? 'Error';
  const body = Buffer.from(message.endsWith('\n') ? message : message + '\n');
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n${extra}Connection: close\r\n\r\n${body}`);
}

function findContainer(pod: V1Pod, name: string): boolean {
  const s = pod.spec;
  return [...(s?.containers ?? []), ...(s?.initContainers ?? []), ...(s?.ephemeralContainers ?? [])].some((c) => c.name === name);
}

export async function startKubeletServer(opts: KubeletServerOptions): Promise<KubeletServer> {
  const tls = opts.tls ?? (await selfSignedServing(opts.nodeName, opts.addresses ?? [opts.host]));
  const registry = opts.registry ?? newRegistry();
  const m = kubeletApiMetrics(registry);
  const auth = new KubeletAuthenticator(opts.kubeConfig, opts.nodeName, opts.authCacheTtls);
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxWebSocketMessage ?? 1 << 20, perMessageDeflate: false });
  const idleMs = opts.streamIdleTimeoutMs ?? 4 * 3600_000;
  const live = new Set<Duplex>();

  const server: Server = createServer({
    cert: tls.cert,
    key: tls.key,
    ca: opts.clientCaPem,
    requestCert: true,
    rejectUnauthorized: false,
  });
  server.on('connection', (s: Duplex) => {
    live.add(s);
    s.on('close', () => live.delete(s));
  });
  server.on('tlsClientError', () => undefined);

  const lookupPod = (r: { namespace: string; pod: string; uid?: string }): V1Pod | string => {
    const pod = opts.backend.getPod(r.namespace, r.pod);
    if (!pod) return 'pod does not exist';
    if (r.uid && pod.metadata?.uid !== r.uid) return 'pod not found';
    return pod;
  };

  const track = <T>(kind: string, transport: string, p: Promise<T>): Promise<T> => {
    m.sessions.inc({ kind, transport });
    m.activeSessions.inc({ kind });
    return p
      .catch((e: unknown) => {
        m.errors.inc({ kind });
        log.warn({ err: e, kind }, 'session failed');
        throw e;
      })
      .finally(() => m.activeSessions.dec({ kind }));
  };

  const countBytes = (em: NodeJS.EventEmitter) => {
    em.on('bytesIn', (n: number) => m.bytes.inc({ direction: 'in' }, n));
    em.on('bytesOut', (n: number) => m.bytes.inc({ direction: 'out' }, n));
  };

  const newSpdy = (socket: Duplex) => {
    const s = new SpdySession(socket, { role: 'server', idleTimeoutMs: idleMs });
    countBytes(s);
    s.on('protocolError', (e: Error) => log.warn({ err: e }, 'SPDY protocol error'));
    return s;
  };

  const newMux = (ws: WebSocket) => {
    const mux = new ChannelMux(ws, ws.protocol);
    countBytes(mux);
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => mux.close(1000, 'idle timeout'), idleMs);
      timer.unref();
    };
    mux.on('bytesIn', touch);
    mux.on('bytesOut', touch);
    mux.on('close', () => timer && clearTimeout(timer));
    touch();
    return mux;
  };

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const r = route(url.pathname);
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      m.requests.inc({ handler: r?.kind ?? 'unknown', code: String(code) });
      if (res.headersSent) return void res.end();
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    const decision = await auth.check(req);
    if (decision.status !== 200) return reply(decision.status, decision.message);
    if (!r) return reply(404, '404 page not found\n');
    switch (r.kind) {
      case 'healthz':
        return reply(200, 'ok');
      case 'pods':
        return reply(200, JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: opts.backend.listPods() }), 'application/json');
      case 'statsSummary':
        return reply(200, JSON.stringify(await opts.backend.statsSummary()), 'application/json');
      case 'metricsResource': {
        const s = await opts.backend.statsSummary().catch(() => undefined);
        return reply(200, renderResourceMetrics(s), 'text/plain; version=0.0.4; charset=utf-8');
      }
      case 'exec':
      case 'attach':
      case 'portForward':
        return reply(400, 'Upgrade request required');
      case 'containerLogs':
        return await serveLogs(r, url, res, reply);
    }
  }

  async function serveLogs(
    r: Extract<Route, { kind: 'containerLogs' }>,
    url: URL,
    res: ServerResponse,
    reply: (code: number, body: string) => void,
  ): Promise<void> {
    let logOpts;
    try {
      logOpts = parseLogOptions(url.searchParams);
    } catch (e) {
      return reply(400, (e as Error).message);
    }
    const pod = opts.backend.getPod(r.namespace, r.pod);
    if (!pod) return reply(404, `pod "${r.pod}/${r.namespace}" not found`);
    if (!findContainer(pod, r.container)) return reply(400, `container ${r.container} is not valid for pod ${r.pod}`);
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    m.requests.inc({ handler: 'containerLogs', code: '200' });
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    await track('logs', 'http', opts.backend.logs({ pod, container: r.container, opts: logOpts }, res, ac.signal)).catch(() => undefined);
    if (!res.writableEnded) res.end();
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const r = route(url.pathname);
    const fail = (code: number, msg: string, headers?: Record<string, string>) => {
      m.requests.inc({ handler: r?.kind ?? 'unknown', code: String(code) });
      rawResponse(socket, code, msg, headers);
    };
    const decision = await auth.check(req);
    if (decision.status !== 200) return fail(decision.status, decision.message);
    if (!r || (r.kind !== 'exec' && r.kind !== 'attach' && r.kind !== 'portForward')) return fail(404, '404 page not found');
    const pod = lookupPod(r);
    if (typeof pod === 'string') return fail(404, pod);
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    const wsProtocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);

    if (r.kind === 'exec' || r.kind === 'attach') {
      const so = parseStreamOptions(url.searchParams);
      if (typeof so === 'string') return fail(400, so);
      if (!findContainer(pod, r.container)) return fail(404, `container ${r.container} not found in pod ${r.pod}`);
      const command = url.searchParams.getAll('command');
      if (r.kind === 'exec' && command.length === 0) return fail(400, 'you must specify a command');
      const execReq = { pod, container: r.container, command: r.kind === 'exec' ? command : [], ...so };
      if (upgrade === 'websocket') {
        const protocol = WS_EXEC_PROTOCOLS.find((p) => wsProtocols.includes(p));
        if (wsProtocols.length && !protocol) return fail(400, `unable to negotiate websocket protocol from ${JSON.stringify(wsProtocols)}`);
        m.requests.inc({ handler: r.kind, code: '101' });
        wss.handleUpgrade(req, socket, head, (ws) => {
          const mux = newMux(ws);
          void track(r.kind, 'websocket', serveWebSocketCommand(r.kind as 'exec' | 'attach', mux, opts.backend, execReq, so)).catch(() => mux.close(1011));
        });
        return;
      }
      if (upgrade !== 'spdy/3.1') return fail(400, 'unable to upgrade: unsupported upgrade protocol');
      const n = negotiate(req.headers['x-stream-protocol-version'], SPDY_EXEC_PROTOCOLS);
      if ('error' in n) return fail(403, n.error, { 'X-Accepted-Stream-Protocol-Versions': SPDY_EXEC_PROTOCOLS.join(', ') });
      const protocol = n.protocol || 'channel.k8s.io';
      const session = switchToSpdy(socket, head, n.protocol);
      m.requests.inc({ handler: r.kind, code: '101' });
      void track(r.kind, 'spdy', serveSpdyCommand(r.kind, session, protocol, opts.backend, execReq, so, opts.streamCreationTimeoutMs)).catch(() => session.close());
      return;
    }

    // portForward
    if (upgrade === 'websocket') {
      if (wsProtocols.includes(WS_PORTFORWARD_TUNNEL_PROTOCOL)) {
        m.requests.inc({ handler: r.kind, code: '101' });
        // ws only accepts RFC 7230 tokens as subprotocols and "SPDY/3.1+..." has a '/': select it ourselves.
        delete req.headers['sec-websocket-protocol'];
        tunnelRequests.add(req);
        wss.handleUpgrade(req, socket, head, (ws) => {
          const tunnel = createWebSocketStream(ws, { allowHalfOpen: false });
          tunnel.on('error', () => undefined);
          const session = newSpdy(tunnel);
          void track('portforward', 'websocket-spdy', serveSpdyPortForward(session, opts.backend, pod));
        });
        return;
      }
      const ports = url.searchParams.getAll('port').flatMap((p) => p.split(','));
      if (ports.length === 0) return fail(400, 'query parameter "port" is required');
      const parsed = ports.map(parsePort);
      if (parsed.some((p) => p === undefined)) return fail(400, `unable to parse ${JSON.stringify(ports)} as ports`);
      const protocol = WS_PORTFORWARD_PROTOCOLS.find((p) => wsProtocols.includes(p));
      if (wsProtocols.length && !protocol) return fail(400, `unable to negotiate websocket protocol from ${JSON.stringify(wsProtocols)}`);
      m.requests.inc({ handler: r.kind, code: '101' });
      wss.handleUpgrade(req, socket, head, (ws) => {
        const mux = newMux(ws);
        void track('portforward', 'websocket', serveWebSocketPortForward(mux, opts.backend, pod, parsed as number[])).catch(() => mux.close(1011));
      });
      return;
    }
    if (upgrade !== 'spdy/3.1') return fail(400, 'unable to upgrade: unsupported upgrade protocol');
    const n = negotiate(req.headers['x-stream-protocol-version'], SPDY_PORTFORWARD_PROTOCOLS);
    if ('error' in n) return fail(403, n.error, { 'X-Accepted-Stream-Protocol-Versions': SPDY_PORTFORWARD_PROTOCOLS.join(', ') });
    const session = switchToSpdy(socket, head, n.protocol);
    m.requests.inc({ handler: r.kind, code: '101' });
    void track('portforward', 'spdy', serveSpdyPortForward(session, opts.backend, pod));
  }

  function switchToSpdy(socket: Duplex, head: Buffer, protocol: string): SpdySession {
    const proto = protocol ? `X-Stream-Protocol-Version: ${protocol}\r\n` : '';
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${proto}\r\n`);
    if (head.length) socket.unshift(head);
    return newSpdy(socket);
  }

  const tunnelRequests = new WeakSet<IncomingMessage>();
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    if (tunnelRequests.has(req)) headers.push(`Sec-WebSocket-Protocol: ${WS_PORTFORWARD_TUNNEL_PROTOCOL}`);
  });
  wss.on('wsClientError', (err: Error, socket: Duplex) => rawResponse(socket, 400, err.message));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res).catch((e: unknown) => {
      log.error({ err: e }, 'request failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String((e as Error).message ?? e));
      } else res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(req, socket, head).catch((e: unknown) => {
      log.error({ err: e }, 'upgrade failed');
      rawResponse(socket, 500, String((e as Error).message ?? e));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, node: opts.nodeName }, 'kubelet API listening');
  return {
    port,
    registry,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of live) s.destroy();
        for (const c of wss.clients) c.terminate();
      });
      wss.close();
    },
  };
}
