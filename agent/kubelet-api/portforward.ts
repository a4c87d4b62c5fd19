// Port forwarding: the SPDY protocol portforward.k8s.io (data+error stream pairs joined by requestID,
// target in the `port` header, both validated; pairs capped per session and reset when incomplete; also
// used inside WebSocket tunnels as SPDY/3.1+portforward.k8s.io) and the WebSocket channel form (two
// channels per ?port=, each opened with the port as uint16 LE). A finished port drops further input.
import { setMaxListeners } from 'node:events';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeletBackend } from './backend.js';
import type { SpdySession } from './spdy/session.js';
import type { SpdyStream } from './spdy/stream.js';
import { RstStatus } from './spdy/frames.js';
import type { ChannelMux } from './channels.js';

export const SPDY_PORTFORWARD_PROTOCOLS = ['portforward.k8s.io'];
export const WS_PORTFORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
export const WS_PORTFORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'channel.k8s.io'];
/** Ports one WebSocket port-forward may ask for: two channels each, and channel numbers are one byte. */
export const MAX_WS_PORTS = 127;

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

interface SpdyPortForwardOptions {
  /** A pair whose second stream does not come within this time is reset (kubelet: 30 s). */
  pairTimeoutMs?: number;
  /** Forwarded connections (complete pairs) open at once on one session; more are refused. */
  maxPairs?: number;
}

/** Longest requestID header accepted (kubectl sends a decimal counter). */
export const MAX_REQUEST_ID_LENGTH = 64;

export function parsePort(s: string | undefined): number | undefined {
  if (!s || !/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * The key that joins a data and an error stream: the requestID header, or for clients that predate it the
 * kubelet's best effort (the error stream's id, the data stream's id - 2). Undefined when unusable.
 */
export function pairKey(requestId: string | undefined, type: 'data' | 'error', streamId: number): string | undefined {
  if (requestId === undefined || requestId === '') return String(type === 'error' ? streamId : streamId - 2);
  return requestId.length <= MAX_REQUEST_ID_LENGTH && /^[\x21-\x7e]+$/.test(requestId) ? requestId : undefined;
}

function errorMessage(pod: V1Pod, port: number, err: unknown): string {
  return `error forwarding port ${port} to pod ${pod.metadata?.name ?? ''}, uid ${pod.metadata?.uid ?? ''}: ${(err as Error)?.message ?? String(err)}`;
}

/** Serves port-forward stream pairs on a SPDY session until it closes. */
export function serveSpdyPortForward(session: SpdySession, backend: KubeletBackend, pod: V1Pod, opts: SpdyPortForwardOptions = {}): Promise<void> {
  const pairTimeoutMs = opts.pairTimeoutMs ?? 30_000;
  const maxPairs = opts.maxPairs ?? 100;
  const pairs = new Map<string, Pair>();
  let active = 0;
  if (session.isClosed) return Promise.resolve();
  const ac = new AbortController();
  setMaxListeners(0, ac.signal); // one listener per forwarded connection
  session.once('close', () => ac.abort());
  session.on('stream', (st: SpdyStream) => {
    const type = st.header('streamType');
    const port = parsePort(st.header('port'));
    const key = type === 'data' || type === 'error' ? pairKey(st.header('requestID'), type, st.id) : undefined;
    if (port === undefined || key === undefined || (type !== 'data' && type !== 'error')) {
      session.emit('refusedStream', 'badHeaders');
      return st.reset(RstStatus.ProtocolError);
    }
    let p = pairs.get(key);
    if (p?.[type]) {
      session.emit('refusedStream', 'duplicateStream');
      return st.reset(RstStatus.ProtocolError);
    }
    st.reply();
    if (!p) {
      p = { timer: setTimeout(() => drop(key), pairTimeoutMs) };
      pairs.set(key, p);
    }
    p[type] = st;
    if (p.data && p.error) {
      clearTimeout(p.timer);
      pairs.delete(key);
      const { data, error } = p;
      if (active >= maxPairs) {
        session.emit('refusedStream', 'maxPairs');
        data.reset(RstStatus.RefusedStream);
        error.reset(RstStatus.RefusedStream);
        return;
      }
      active++;
      void forward(data, error, parsePort(data.header('port'))!).finally(() => active--);
    }
  });
  const drop = (id: string) => {
    const p = pairs.get(id);
    pairs.delete(id);
    if (p) session.emit('refusedStream', 'pairTimeout');
    p?.data?.reset();
    p?.error?.reset();
  };
  const forward = async (data: SpdyStream, error: SpdyStream, port: number) => {
    error.resume(); // the client never writes here; drain in case
    try {
      await backend.portForward({ pod, port }, data, ac.signal);
    } catch (e) {
      if (!ac.signal.aborted) error.write(errorMessage(pod, port, e));
    }
    // Nothing reads the data stream any more: what the client still sends is dropped, so it cannot fill
    // the stream and stall the session's other connections.
    data.resume();
    if (!data.writableEnded && !data.destroyed) data.end();
    if (!error.writableEnded && !error.destroyed) error.end();
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
  if (mux.isClosed) ac.abort();
  else mux.once('close', () => ac.abort());
  await Promise.all(
    ports.map(async (port, i) => {
      const data = mux.channel(2 * i, true);
      const error = mux.channel(2 * i + 1);
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(port);
      data.write(prefix);
      error.write(prefix);
      try {
        await backend.portForward({ pod, port }, data, ac.signal);
      } catch (e) {
        if (!ac.signal.aborted) await new Promise<void>((r) => error.write(errorMessage(pod, port, e), () => r()));
      }
      // Nothing reads this port's data channel any more: drop what still comes, so the other ports go on.
      data.resume();
    }),
  );
  mux.close(1000);
}
