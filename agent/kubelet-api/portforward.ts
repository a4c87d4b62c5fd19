// Port forwarding: the SPDY protocol portforward.k8s.io (data+error stream pairs joined by requestID,
// target in the `port` header; also used inside WebSocket tunnels as SPDY/3.1+portforward.k8s.io)
// and the WebSocket channel form (two channels per ?port=, each opened with the port as uint16 LE).
import { setMaxListeners } from 'node:events';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeletBackend } from './backend.js';
import type { SpdySession, SpdyStream } from './spdy/session.js';
import type { ChannelMux } from './channels.js';

export const SPDY_PORTFORWARD_PROTOCOLS = ['portforward.k8s.io'];
export const WS_PORTFORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
export const WS_PORTFORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'channel.k8s.io'];

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  port: number;
  timer: NodeJS.Timeout;
}

export function parsePort(s: string | undefined): number | undefined {
  if (!s || !/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : undefined;
}

function errorMessage(pod: V1Pod, port: number, err: unknown): string {
  return `error forwarding port ${port} to pod ${pod.metadata?.name ?? ''}, uid ${pod.metadata?.uid ?? ''}: ${(err as Error)?.message ?? String(err)}`;
}

/** Serves port-forward stream pairs on a SPDY session until it closes. */
export function serveSpdyPortForward(session: SpdySession, backend: KubeletBackend, pod: V1Pod, pairTimeoutMs = 30_000): Promise<void> {
  const pairs = new Map<string, Pair>();
  const ac = new AbortController();
  setMaxListeners(0, ac.signal); // one listener per forwarded connection
  session.once('close', () => ac.abort());
  session.on('stream', (st: SpdyStream) => {
    st.on('error', () => undefined);
    const port = parsePort(st.header('port'));
    const type = st.header('streamType');
    const requestId = st.header('requestID') ?? String(st.id);
    if (port === undefined || (type !== 'data' && type !== 'error')) {
      st.reset();
      return;
    }
    st.reply();
    let p = pairs.get(requestId);
    if (!p) {
      p = { port, timer: setTimeout(() => drop(requestId), pairTimeoutMs) };
      pairs.set(requestId, p);
    }
    if (p[type]) {
      st.reset();
      return;
    }
    p[type] = st;
    if (p.data && p.error) {
      clearTimeout(p.timer);
      pairs.delete(requestId);
      void forward(p as Required<Pair>);
    }
  });
  const drop = (id: string) => {
    const p = pairs.get(id);
    pairs.delete(id);
    p?.data?.reset();
    p?.error?.reset();
  };
  const forward = async (p: Required<Pair>) => {
    p.error.resume(); // the client never writes here; drain in case
    try {
      await backend.portForward({ pod, port: p.port }, p.data, ac.signal);
    } catch (e) {
      if (!ac.signal.aborted) p.error.write(errorMessage(pod, p.port, e));
    }
    if (!p.data.writableEnded && !p.data.destroyed) p.data.end();
    if (!p.error.writableEnded && !p.error.destroyed) p.error.end();
  };
  return new Promise((resolve) =>
    session.once('close', () => {
      for (const id of [...pairs.keys()]) drop(id);
      resolve();
    }),
  );
}

/** Serves the WebSocket channel form of port-forward for the given ports. */
export async function serveWebSocketPortForward(mux: ChannelMux, backend: KubeletBackend, pod: V1Pod, ports: number[]): Promise<void> {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  mux.once('close', () => ac.abort());
  await Promise.all(
    ports.map(async (port, i) => {
      const data = mux.channel(2 * i);
      const error = mux.channel(2 * i + 1);
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(port);
      data.write(prefix);
      error.write(prefix);
      data.on('error', () => undefined);
      error.on('error', () => undefined);
      try {
        await backend.portForward({ pod, port }, data, ac.signal);
      } catch (e) {
        if (!ac.signal.aborted) await new Promise<void>((r) => error.write(errorMessage(pod, port, e), () => r()));
      }
    }),
  );
  mux.close(1000);
}
