// The exec WebSocket endpoint (`/exec/?s=<token>`), framed as cloud/eci/sessions/exec-framing.ts defines:
// binary messages carry a channel byte (0 stdin, 1 stdout, 2 stderr), text messages are JSON control
// (resize, close-stdin), and on exit the server closes with 1000 and reason {"exitCode":N}.
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Controller } from './controller.js';
import type { ExecTokens } from './exec-tokens.js';
import type { Runtime } from './runtime/types.js';
import { EXEC_CHANNEL, channelFrame, exitReason, parseChannelFrame, parseControlFrame, type ExecOutputChannel } from '../eci/sessions/exec-framing.js';

/** Output waiting in the socket above which the process's pipes are paused. */
const SEND_HIGH_WATER = 1 << 20;
/** How long after the process exits its remaining output may take before the close is sent anyway. */
const OUTPUT_DRAIN_MS = 2000;

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
    // Output with backpressure: both pipes pause while the socket holds more than SEND_HIGH_WATER bytes, and
    // resume once a send completes below it (the process blocks on its full pipe meanwhile).
    const outputs: [ExecOutputChannel, Readable][] = [[EXEC_CHANNEL.stdout, session.stdout], [EXEC_CHANNEL.stderr, session.stderr]];
    const afterSend = (): void => {
      if (ws.bufferedAmount > SEND_HIGH_WATER) return;
      for (const [, stream] of outputs) if (stream.isPaused()) stream.resume();
    };
    for (const [channel, stream] of outputs) {
      stream.on('data', (d: Buffer) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(channelFrame(channel, d), { binary: true }, afterSend);
        if (ws.bufferedAmount > SEND_HIGH_WATER) for (const [, s] of outputs) s.pause();
      });
    }
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (isBinary) {
        const frame = parseChannelFrame(buf);
        if (frame?.channel === EXEC_CHANNEL.stdin) session.write(frame.payload);
        return;
      }
      const control = parseControlFrame(buf.toString('utf8'));
      if (control?.op === 'resize') session.resize(control.cols, control.rows);
      else if (control?.op === 'close-stdin') session.closeStdin();
    });
    ws.on('close', () => {
      if (!finished) session.kill();
    });
    ws.on('error', () => session.kill());
    const ended = (s: Readable) => (s.readableEnded ? Promise.resolve() : new Promise<void>((r) => s.once('end', () => r()).once('close', () => r())));
    void session.exit.then(async (exitCode) => {
      // Whatever the process wrote before it exited is sent before the close (a client that stopped reading
      // still gets its close: the wait is bounded).
      await Promise.race([Promise.all(outputs.map(([, s]) => ended(s))), new Promise((r) => setTimeout(r, OUTPUT_DRAIN_MS).unref())]);
      finished = true;
      if (ws.readyState === ws.OPEN) ws.close(1000, exitReason(exitCode));
    });
  }

  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }
}
