// The operations endpoint of a process: /healthz (alive), /readyz (ready to serve: the process's named
// checks, see readiness.ts), /metrics (Prometheus). Plain HTTP on its own port, separate from the data path.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { renderReadiness, type Readiness } from './readiness.js';

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export async function startOpsServer(o: { host: string; port: number; registry: Registry; ready: () => Readiness | Promise<Readiness> }): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      Promise.resolve()
        .then(() => o.ready())
        .then(
          (r) => renderReadiness(r),
          (e: unknown) => ({ status: 503, body: `[-]readiness failed: ${e instanceof Error ? e.message : String(e)}\nreadyz check failed\n` }),
        )
        .then(({ status, body }) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body))
        .catch(() => res.destroy());
    } else if (path === '/metrics') {
      o.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(text))
        .catch((e: unknown) => res.writeHead(500).end(String(e)));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
