// Fuzz environment of the kubelet API targets: the bounds sessions run with under fuzz, a watch on uncaught
// exceptions and unhandled rejections, and one loopback echo server plus WebSocket server per run of targets.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { EchoBackend } from './echo-backend.js';

// Bounds the sessions under fuzz run with (small, so that the fuzzer reaches them).

export const BOUNDS = {
  maxQueuedOutputBytes: 32 * 1024,
  dataHighWaterMark: 64 * 1024,
  streamHighWaterMark: 16 * 1024,
  maxBufferedInputBytes: 64 * 1024,
  maxStreams: 24,
  maxPairs: 4,
};
/** What one decoded frame may add to the output after the bound was checked: one DATA frame and a reply. */
export const OUTPUT_SLACK = BOUNDS.dataHighWaterMark + 32 * 1024 + 4096;


// ---------------------------------------------------------------------------------------------------------
// Crash watch.

/** Records uncaught exceptions and unhandled rejections while started. */
export class CrashWatch {
  readonly seen: unknown[] = [];
  private readonly onError = (e: unknown) => this.seen.push(e);
  start(): void {
    process.on('uncaughtException', this.onError);
    process.on('unhandledRejection', this.onError);
  }
  stop(): void {
    process.off('uncaughtException', this.onError);
    process.off('unhandledRejection', this.onError);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Shared environment: one echo server (and a WebSocket server for the channel targets) per run of targets.

export interface FuzzEnv {
  backend: EchoBackend;
  echo: TcpServer;
  http: HttpServer;
  wsPort: number;
  close(): Promise<void>;
}

export type WsRoute = (ws: WebSocket, path: string) => void;

export async function startEnv(): Promise<FuzzEnv & { onWs: (r: WsRoute) => void }> {
  const echo = createTcpServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const backend = new EchoBackend((echo.address() as AddressInfo).port);
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http, autoPong: false, maxPayload: 1 << 20 });
  let route: WsRoute = () => undefined;
  wss.on('connection', (ws, req) => {
    ws.on('error', () => undefined);
    route(ws, req.url ?? '/');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    backend,
    echo,
    http,
    wsPort: (http.address() as AddressInfo).port,
    onWs: (r) => (route = r),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => http.close(() => r()));
      await new Promise<void>((r) => echo.close(() => r()));
    },
  };
}

export const tick = () => new Promise<void>((r) => setImmediate(r));

export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p.finally(() => clearTimeout(timer)), new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms)))]);
}
