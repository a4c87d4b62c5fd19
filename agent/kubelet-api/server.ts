// The agent's kubelet HTTPS API (port 10250): authenticates and authorizes every request like the
// kubelet, then serves logs, stats, metrics (/metrics: the agent's registry; /metrics/resource and
// /metrics/cadvisor: the burst pods' usage) and pods from a KubeletBackend, and hands exec, attach and
// portForward upgrades to streaming.ts (SPDY/3.1, WebSocket channels, SPDY-in-WebSocket tunnels), all
// streaming sessions (logs included) behind the session caps of session-limits.ts.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { newRegistry, type Registry } from '../../common/metrics.js';
import { logger } from '../../common/log.js';
import { createCa, issueCert } from '../../common/pki.js';
import type { KubeletBackend } from './backend.js';
import { KubeletAuthenticator, type AuthCacheTtls } from './auth.js';
import { route, parseLogOptions, type Route } from './routes.js';
import { renderResourceMetrics } from './resource-metrics.js';
import { renderCadvisorMetrics } from './cadvisor-metrics.js';
import { TEXT_FORMAT } from './prom-text.js';
import { kubeletApiMetrics } from './metrics.js';
import { DEFAULT_SESSION_LIMITS, SessionLimiter, checkLimits, type SessionLimits } from './session-limits.js';
import { DEFAULT_OUTPUT_LIMITS, StreamingSessions, type OutputLimits } from './streaming.js';

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
  /** A connection that has not finished its TLS handshake by then is closed (Go's TLS handshake bound: 10 s). */
  handshakeTimeoutMs?: number;
  /** Session caps (defaults: DEFAULT_SESSION_LIMITS); refusals are 429 naming the cap's config key. */
  limits?: Partial<SessionLimits>;
  /** Bounds on unsent output per session, and how long a peer may leave it unread. */
  output?: Partial<OutputLimits>;
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
  const reason = ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error' } as Record<number, string>)[status] ?? 'Error';
  const body = Buffer.from(message.endsWith('\n') ? message : message + '\n');
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n${extra}Connection: close\r\n\r\n${body.toString('utf8')}`);
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
  // autoPong off: the channel mux and the tunnel answer pings themselves, and skip them while the peer
  // leaves our output unread (ws would queue a pong per ping without bound).
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxWebSocketMessage ?? 1 << 20, perMessageDeflate: false, autoPong: false });
  const idleMs = opts.streamIdleTimeoutMs ?? 4 * 3600_000;
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...opts.limits, maxPerKind: { ...DEFAULT_SESSION_LIMITS.maxPerKind, ...opts.limits?.maxPerKind } };
  const bad = checkLimits(limits);
  if (bad) throw new Error(`${bad.key}: ${bad.problem}`);
  const streaming = new StreamingSessions({
    backend: opts.backend,
    metrics: m,
    limiter: new SessionLimiter(limits),
    wss,
    idleMs,
    streamCreationTimeoutMs: opts.streamCreationTimeoutMs,
    output: { ...DEFAULT_OUTPUT_LIMITS, ...opts.output },
  });
  const live = new Set<Duplex>();

  const server: Server = createServer({
    cert: tls.cert,
    key: tls.key,
    ca: opts.clientCaPem,
    requestCert: true,
    rejectUnauthorized: false,
    handshakeTimeout: opts.handshakeTimeoutMs ?? 10_000,
  });
  server.on('connection', (s: Duplex) => {
    live.add(s);
    s.on('close', () => live.delete(s));
  });
  // A failed or timed-out handshake (handshakeTimeout): drop the connection; with a listener Node leaves it open.
  server.on('tlsClientError', (_e, socket) => socket.destroy());

  const lookupPod = (r: { namespace: string; pod: string; uid?: string }): V1Pod | string => {
    const pod = opts.backend.getPod(r.namespace, r.pod);
    if (!pod) return 'pod does not exist';
    if (r.uid && pod.metadata?.uid !== r.uid) return 'pod not found';
    return pod;
  };

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const r = route(url.pathname);
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8', headers: Record<string, string> = {}) => {
      m.requests.inc({ handler: r?.kind ?? 'unknown', code: String(code) });
      if (res.headersSent) return void res.end();
      res.writeHead(code, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    const decision = await auth.check(req);
    if (decision.status !== 200) return reply(decision.status, decision.message);
    if (!r) return reply(404, '404 page not found\n');
    const caller = decision.user.name;
    switch (r.kind) {
      case 'healthz':
        return reply(200, 'ok');
      case 'pods':
        return reply(200, JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: opts.backend.listPods() }), 'application/json');
      case 'statsSummary':
        return reply(200, JSON.stringify(await opts.backend.statsSummary()), 'application/json');
      case 'metrics':
        return reply(200, await registry.metrics(), registry.contentType);
      case 'metricsResource': {
        const s = await opts.backend.statsSummary().catch(() => undefined);
        return reply(200, renderResourceMetrics(s), TEXT_FORMAT);
      }
      case 'metricsCadvisor': {
        const s = await opts.backend.statsSummary().catch(() => undefined);
        return reply(200, renderCadvisorMetrics(s, (ns, name) => opts.backend.getPod(ns, name)), TEXT_FORMAT);
      }
      case 'exec':
      case 'attach':
      case 'portForward':
        return reply(400, 'Upgrade request required');
      case 'containerLogs':
        return await serveLogs(r, url, caller, res, reply);
    }
  }

  async function serveLogs(
    r: Extract<Route, { kind: 'containerLogs' }>,
    url: URL,
    caller: string,
    res: ServerResponse,
    reply: (code: number, body: string, type?: string, headers?: Record<string, string>) => void,
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
    const lease = streaming.admit('logs', caller, (code, msg, headers) => reply(code, msg + '\n', undefined, headers));
    if (!lease) return;
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    m.requests.inc({ handler: 'containerLogs', code: '200' });
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    await streaming.track('logs', 'http', lease, opts.backend.logs({ pod, container: r.container, opts: logOpts }, res, ac.signal)).catch(() => undefined);
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
    const hasContainer = r.kind === 'portForward' || findContainer(pod, r.container);
    streaming.upgrade({ req, socket, head, url, route: r, pod, caller: decision.user.name, hasContainer }, fail);
  }

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
