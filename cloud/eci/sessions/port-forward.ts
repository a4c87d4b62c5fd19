// Port-forward to an ECI pod: the relay runs in the pod's VPC, so it dials the container group's private IP on
// the requested port and pipes bytes both ways with half-close (each side's end becomes a FIN/close_write on the
// other), backpressure through pipe() (or socket-pump.ts toward a socket), an idle bound and abort. Never
// leaves the socket open.
import { Socket, connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { ProviderError } from '../../pod-provider/provider.js';
import { SocketPump, type OnRead } from '../../../common/socket-pump.js';

/** Connects to the pod; `onread`, when given, is the socket's read buffer and callback (socket-pump.ts). */
type Dialer = (host: string, port: number, onread?: OnRead) => Socket;

/** Dials with half-open allowed, so a FIN from the pod does not close our direction toward it. */
export const defaultDial: Dialer = (host, port, onread) => connect({ host, port, allowHalfOpen: true, ...(onread ? { onread } : {}) });

interface ForwardLimits {
  connectTimeoutMs: number;
  idleMs: number;
}

function connected(sock: Duplex, what: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const s = sock as Duplex & { connecting?: boolean };
  if (!s.connecting) return Promise.resolve(true);
  return new Promise<boolean>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      sock.off('connect', onConnect);
      sock.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onConnect = () => (done(), resolve(true));
    const onAbort = () => (done(), resolve(false));
    const onError = (err: NodeJS.ErrnoException) => {
      done();
      if (err.code === 'ECONNREFUSED') reject(new ProviderError('FAILED_PRECONDITION', `${what}: connection refused (nothing listens on that port in the pod)`));
      else reject(new ProviderError('UNAVAILABLE', `${what}: ${err.code ?? err.message}`));
    };
    const timer = setTimeout(() => onError(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    sock.once('connect', onConnect);
    sock.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves when both directions have ended (or the session was aborted/closed); rejects on a connect or socket error. */
export async function forwardPort(dial: Dialer, host: string, port: number, stream: Duplex, signal: AbortSignal, limits: ForwardLimits): Promise<void> {
  if (signal.aborted) return;
  const what = `port-forward to ${host}:${port}`;
  // A socket on the other side (the session's data connection, cloud/relay/bridges.ts): the pod's bytes go
  // to it with no Buffer per read.
  const pump = stream instanceof Socket ? new SocketPump() : undefined;
  const sock = dial(host, port, pump?.onread);
  try {
    if (!(await connected(sock, what, limits.connectTimeoutMs, signal))) {
      sock.destroy();
      return;
    }
  } catch (err) {
    sock.destroy();
    throw err;
  }
  await new Promise<void>((resolve, reject) => {
    let toPod = false; // our stream ended and the socket has flushed its FIN
    let fromPod = false; // the pod sent FIN and the stream has taken it
    let settled = false;
    // Idle: every byte either way passes the pod's socket, so its counters tell (checked, not per chunk).
    let moved = -1;
    let movedAt = Date.now();
    const idle = setInterval(() => {
      const now = sock.bytesRead + sock.bytesWritten;
      if (now !== moved) {
        moved = now;
        movedAt = Date.now();
      } else if (Date.now() - movedAt >= limits.idleMs) settle();
    }, Math.max(10, Math.min(limits.idleMs / 4, 30_000)));
    idle.unref();
    const check = () => toPod && fromPod && settle();
    const onSockError = (err: NodeJS.ErrnoException) => settle(new ProviderError('UNAVAILABLE', `${what}: connection to the pod failed (${err.code ?? err.message})`));
    const onEnd = () => settle();
    // A socket closed after its FIN both ways is done with, but its last bytes may still be queued in the
    // stream (waiting for the agent to read them): settling now would end the session under them, so wait
    // for the stream to take them and the FIN. A socket closed any other way ends the forward.
    const onSockClose = () => (sock.readableEnded && sock.writableFinished ? check() : settle());
    // Every listener this copy adds, so that settling removes exactly these.
    const listeners: [Duplex, string, (err: NodeJS.ErrnoException) => void][] = [
      [sock, 'finish', () => ((toPod = true), check())],
      [stream, 'finish', () => ((fromPod = true), check())],
      [sock, 'error', onSockError],
      [stream, 'error', onEnd],
      [sock, 'close', onSockClose],
      [stream, 'close', onEnd],
    ];
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(idle);
      stream.unpipe(sock);
      sock.unpipe(stream);
      for (const [emitter, event, fn] of listeners) emitter.off(event, fn);
      signal.removeEventListener('abort', onEnd);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    for (const [emitter, event, fn] of listeners) emitter.on(event, fn);
    signal.addEventListener('abort', onEnd, { once: true });
    stream.pipe(sock);
    if (pump) pump.start(sock, stream as Socket);
    else sock.pipe(stream);
  });
}
