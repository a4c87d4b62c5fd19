// Test helper: opens one stream of every long-lived kind (status watch, exec, attach, logs -f,
// port-forward) for an agent and records how and when each one ends, so tests can assert that a
// revoked credential ends them all (and that others' streams go on).
import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { TunnelServiceClient } from '../../../proto/load.js';
import { TunnelError, type TunnelClient } from '../../../agent/tunnel/client.js';
import type { Fixture } from './fixture.js';
import { eventually } from '../wait.js';
import { METADATA, PROTOCOL_VERSION } from '../../../proto/wire.js';

export interface Ended {
  code: number;
  message: string;
  at: number;
}

export interface OpenedStreams {
  /** Resolves when the stream ends, with its status; kinds: watch, exec, attach, logs, portforward. */
  ended: Record<'watch' | 'exec' | 'attach' | 'logs' | 'portforward', Promise<Ended>>;
  /** Bytes received so far on the logs stream (it keeps producing lines while open). */
  logBytes(): number;
  close(): void;
}

/** A TCP echo server on 127.0.0.1 (the pod port a port-forward reaches). */
export async function echoServer(): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.on('error', () => undefined).pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

const endedBy = (e: unknown): Ended => {
  const te = e as Partial<TunnelError & grpc.ServiceError>;
  return { code: te.code ?? -1, message: te.details ?? te.message ?? String(e), at: Date.now() };
};

/**
 * Opens the five streams. The watch is a raw gRPC call presenting the same credential (the agent's own
 * watch reopens itself, which would hide how the first one ended).
 */
export async function openStreams(
  f: Fixture,
  client: TunnelClient,
  o: { podUid: string; echoPort: number; clusterId: string; cert?: { certFile: string; keyFile: string }; token?: string },
): Promise<OpenedStreams> {
  const creds = grpc.credentials.createSsl(readFileSync(f.caFile), o.cert ? readFileSync(o.cert.keyFile) : null, o.cert ? readFileSync(o.cert.certFile) : null);
  const raw = new TunnelServiceClient(`127.0.0.1:${f.relay.port}`, creds) as unknown as grpc.Client & { WatchStatus(req: object, md: grpc.Metadata): grpc.ClientReadableStream<unknown> };
  const md = new grpc.Metadata();
  md.set(METADATA.clusterId, o.clusterId);
  md.set(METADATA.protocol, String(PROTOCOL_VERSION));
  if (o.token) md.set('authorization', `Bearer ${o.token}`);
  const watchCall = raw.WatchStatus({ epoch: '', seq: 0 }, md);
  const watchEvents: unknown[] = [];
  const watch = new Promise<Ended>((resolve) => {
    watchCall.on('data', (e) => watchEvents.push(e));
    watchCall.on('error', (e) => resolve(endedBy(e)));
    watchCall.on('end', () => resolve({ code: 0, message: 'ended', at: Date.now() }));
  });
  // The watch is open once its snapshot arrived.
  await eventually('the status watch\'s snapshot', () => watchEvents.length > 0, 10_000, 20);

  const exec = await client.exec({ podUid: o.podUid, container: 'main', command: ['cat'], stdin: true, stdout: true });
  const attach = await client.attach({ podUid: o.podUid, container: 'main', stdin: true, stdout: true });
  exec.stdout.resume();
  attach.stdout.resume();
  const logs = await client.logs({ podUid: o.podUid, container: 'main', follow: true });
  let logBytes = 0;
  const logsEnded = new Promise<Ended>((resolve) => {
    logs.stream.on('data', (b: Buffer) => (logBytes += b.length));
    logs.stream.on('error', (e) => resolve(endedBy(e)));
    logs.stream.on('end', () => resolve({ code: 0, message: 'ended', at: Date.now() }));
  });
  const pf = await client.portForward({ podUid: o.podUid, port: o.echoPort });
  const pfEnded = new Promise<Ended>((resolve) => {
    pf.stream.on('error', (e) => resolve(endedBy(e)));
    pf.stream.on('close', () => resolve({ code: 0, message: 'closed', at: Date.now() }));
  });
  pf.stream.resume();
  // Prove every interactive stream is really open: a round trip through exec, attach and port-forward.
  await roundTrip(exec.stdin!, exec.stdout);
  await roundTrip(attach.stdin!, attach.stdout);
  await roundTrip(pf.stream, pf.stream);
  await eventually('logs -f to produce output', () => logBytes > 0, 10_000, 20);
  return {
    ended: {
      watch,
      exec: exec.exit.then(() => ({ code: 0, message: 'exited', at: Date.now() }), endedBy),
      attach: attach.exit.then(() => ({ code: 0, message: 'exited', at: Date.now() }), endedBy),
      logs: logsEnded,
      portforward: pfEnded,
    },
    logBytes: () => logBytes,
    close: () => {
      exec.cancel();
      attach.cancel();
      logs.cancel();
      pf.cancel();
      watchCall.cancel();
      raw.close();
    },
  };
}

function roundTrip(w: NodeJS.WritableStream, r: NodeJS.ReadableStream): Promise<void> {
  const probe = `probe-${Math.random()}`;
  return new Promise((resolve, reject) => {
    let seen = '';
    const t = setTimeout(() => (r.off('data', onData), reject(new Error(`no echo of ${probe}`))), 10_000);
    const onData = (b: Buffer) => {
      seen += b.toString();
      if (seen.includes(probe)) {
        clearTimeout(t);
        r.off('data', onData);
        resolve();
      }
    };
    r.on('data', onData);
    w.write(probe);
  });
}
