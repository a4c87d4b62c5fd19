// The exec WebSocket endpoint (`/exec/?s=<token>`). Emulator framing: client binary frames = stdin bytes,
// client text frames = JSON control ({"op":"resize","cols","rows"} | {"op":"close-stdin"}), server binary
// frames = merged stdout/stderr; on exit the server closes with 1000 and reason {"exitCode":N}.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Controller } from './controller.js';
import type { ExecTokens } from './exec-tokens.js';
import type { Runtime } from './runtime/types.js';

export class ExecEndpoint {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });

  constructor(
    private readonly tokens: ExecTokens,
    private readonly controller: Controller,
    private readonly runtime: Runtime,
  ) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const reject = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/exec/' && url.pathname !== '/exec') return reject(404, 'Not Found');
    const grant = this.tokens.redeem(url.searchParams.get('s') ?? '');
    if (!grant) return reject(403, 'Forbidden');
    let group;
    try {
      group = this.controller.get(grant.regionId, grant.groupId);
    } catch {
      return reject(410, 'Gone');
    }
    const g = group;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.run(ws, () => this.runtime.exec(g, grant.container, grant.command, grant.options)));
  }

  private run(ws: WebSocket, start: () => ReturnType<Runtime['exec']>): void {
    let session: ReturnType<Runtime['exec']>;
    try {
      session = start();
    } catch (e) {
      ws.close(1011, JSON.stringify({ error: (e as Error).message }).slice(0, 120));
      return;
    }
    let finished = false;
    session.output.on('data', (d: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(d, { binary: true });
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) return session.write(buf);
      try {
        const msg = JSON.parse(buf.toString('utf8')) as { op?: string; cols?: number; rows?: number };
        if (msg.op === 'resize' && Number.isInteger(msg.cols) && Number.isInteger(msg.rows)) session.resize(msg.cols!, msg.rows!);
        else if (msg.op === 'close-stdin') session.closeStdin();
      } catch {
        /* malformed control frames are ignored */
      }
    });
    ws.on('close', () => {
      if (!finished) session.kill();
    });
    ws.on('error', () => session.kill());
    void session.exit.then(async (exitCode) => {
      if (!session.output.readableEnded) await new Promise<void>((r) => { session.output.once('end', () => r()); setTimeout(r, 500); });
      finished = true;
      if (ws.readyState === ws.OPEN) ws.close(1000, JSON.stringify({ exitCode }));
    });
  }

  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }
}
