// The backend the fuzz targets serve: exec echoes stdin to stdout; port-forward dials only its own loopback
// echo server (fuzzed port headers are arbitrary), so no case reaches anything outside the test.
import { connect } from 'node:net';
import { Writable, type Duplex } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import type { ExecRequest, ExecResult, KubeletBackend, StreamIO, Summary } from '../../../../agent/kubelet-api/backend.js';

export const POD: V1Pod = { metadata: { name: 'fuzz', namespace: 'fuzz', uid: 'fuzz-uid' }, spec: { containers: [{ name: 'main' }] } };

export class EchoBackend implements KubeletBackend {
  readonly calls = { exec: 0, portForward: 0 };
  constructor(readonly echoPort: number) {}
  getPod(): V1Pod {
    return POD;
  }
  listPods(): V1Pod[] {
    return [POD];
  }
  async exec(_req: ExecRequest, io: StreamIO): Promise<ExecResult> {
    this.calls.exec++;
    if (!io.stdin) return { exitCode: 0 };
    const sink = io.stdout ?? new Writable({ write: (_c, _e, cb) => cb() });
    io.stdin.pipe(sink, { end: false });
    await new Promise<void>((resolve) => {
      io.stdin!.once('end', resolve);
      io.stdin!.once('close', resolve);
      if (io.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    io.stdin.unpipe(sink);
    return { exitCode: 0 };
  }
  attach(req: ExecRequest, io: StreamIO): Promise<ExecResult> {
    return this.exec(req, io);
  }
  logs(_req: unknown, out: Writable): Promise<void> {
    out.write('fuzz\n');
    return Promise.resolve();
  }
  async portForward(req: { port: number }, socket: Duplex, signal: AbortSignal): Promise<void> {
    this.calls.portForward++;
    // Never dial anything but our own echo server: fuzzed port headers are arbitrary.
    if (req.port !== this.echoPort) throw new Error(`connect ECONNREFUSED 127.0.0.1:${req.port}`);
    const conn = connect({ host: '127.0.0.1', port: this.echoPort });
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', resolve);
      conn.once('error', reject);
    });
    if (signal.aborted) return void conn.destroy(); // the client went away while we dialled
    await new Promise<void>((resolve) => {
      const finish = () => {
        conn.destroy();
        resolve();
      };
      socket.pipe(conn);
      conn.pipe(socket);
      conn.on('error', finish);
      conn.on('close', finish);
      socket.on('close', finish);
      signal.addEventListener('abort', finish, { once: true });
    });
  }
  statsSummary(): Promise<Summary> {
    return Promise.resolve({ node: { nodeName: 'fuzz', startTime: new Date(0).toISOString() }, pods: [] });
  }
}
