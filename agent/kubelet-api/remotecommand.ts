// exec/attach sessions over SPDY (remotecommand v1–v4 stream protocols) and WebSocket channels
// (channel.k8s.io, v4, v5): collects the client's streams (refusing any it did not ask for), runs the
// backend (aborted at once if the client is already gone), and reports the exit status on the error
// stream exactly as the kubelet does (metav1.Status JSON for v4/v5).
import type { Readable, Writable } from 'node:stream';
import type { ExecRequest, ExecResult, KubeletBackend, StreamIO } from './backend.js';
import type { SpdySession } from './spdy/session.js';
import type { SpdyStream } from './spdy/stream.js';
import { RstStatus } from './spdy/frames.js';
import { ChannelMux, terminalSizesFrom, type TerminalSizes } from './channels.js';

export const SPDY_EXEC_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
export const WS_EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'];

interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Kubelet's NewOptions: tty disables stderr; at least one stream required. */
export function parseStreamOptions(q: URLSearchParams): StreamOptions | string {
  const tty = q.get('tty') === '1' || q.get('tty') === 'true';
  const stdin = q.get('input') === '1' || q.get('stdin') === 'true';
  const stdout = q.get('output') === '1' || q.get('stdout') === 'true';
  let stderr = q.get('error') === '1' || q.get('stderr') === 'true';
  if (tty && stderr) stderr = false;
  if (!stdin && !stdout && !stderr) return 'you must specify at least 1 of stdin, stdout, stderr';
  return { stdin, stdout, stderr, tty };
}

/** The metav1.Status JSON the kubelet writes on the error stream (v4 and later). */
export function exitStatusJson(r: ExecResult): string {
  if (r.error !== undefined) {
    const message = `error executing command in container: ${r.error}`;
    return JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 });
  }
  if (r.exitCode === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${r.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(r.exitCode) }] },
  });
}

/** Pre-v4 protocols: only failures are written, as the error text. */
function exitStatusText(r: ExecResult): string | undefined {
  if (r.error !== undefined) return `error executing command in container: ${r.error}`;
  if (r.exitCode === 0) return undefined;
  return `command terminated with non-zero exit code: exit status ${r.exitCode}`;
}

interface CommandStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize: TerminalSizes;
  writeStatus(r: ExecResult): Promise<void>;
  /** Fires once when the client side goes away. */
  onGone(cb: () => void): void;
  finish(): Promise<void>;
}

/**
 * How long a TTY session waits for the client's first terminal size before it starts anyway. kubectl sends
 * it as soon as its streams exist; starting earlier would show the program a 0x0 terminal.
 */
const FIRST_TERMINAL_SIZE_WAIT_MS = 1000;

async function run(kind: 'exec' | 'attach', backend: KubeletBackend, req: ExecRequest, s: CommandStreams): Promise<ExecResult> {
  const ac = new AbortController();
  s.onGone(() => ac.abort());
  if (req.tty) await s.resize.first(FIRST_TERMINAL_SIZE_WAIT_MS, ac.signal);
  const io: StreamIO = { stdin: s.stdin, stdout: s.stdout, stderr: s.stderr, resize: s.resize, signal: ac.signal };
  let result: ExecResult;
  try {
    result = kind === 'exec' ? await backend.exec(req, io) : await backend.attach(req, io);
  } catch (e) {
    result = { exitCode: -1, error: (e as Error).message };
  }
  s.stdin?.resume(); // the command is over: stdin still coming is dropped, not left to stall the session
  if (!ac.signal.aborted) {
    await s.writeStatus(result).catch(() => undefined);
    await s.finish().catch(() => undefined);
  }
  return result;
}

function endWritable(w: Writable | undefined): Promise<void> {
  if (!w || w.writableEnded || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => w.end(() => resolve()));
}

/** Serves an exec/attach on an upgraded SPDY session. Resolves when the session is over. */
export async function serveSpdyCommand(
  kind: 'exec' | 'attach',
  session: SpdySession,
  protocol: string,
  backend: KubeletBackend,
  req: ExecRequest,
  opts: StreamOptions,
  streamCreationTimeoutMs = 30_000,
): Promise<ExecResult | undefined> {
  const v4 = protocol === 'v4.channel.k8s.io';
  const resizable = opts.tty && (v4 || protocol === 'v3.channel.k8s.io');
  const wanted = new Set(['error', ...(opts.stdin ? ['stdin'] : []), ...(opts.stdout ? ['stdout'] : []), ...(opts.stderr ? ['stderr'] : []), ...(resizable ? ['resize'] : [])]);
  const got = new Map<string, SpdyStream>();
  let collecting = true;
  session.on('stream', (st: SpdyStream) => {
    const type = st.header('streamType') ?? '';
    // Streams after the expected set, of a type this request did not ask for, or a second of a type: refused.
    if (!collecting || !wanted.has(type) || got.has(type)) {
      session.emit('refusedStream', 'unexpectedStream');
      return st.reset(RstStatus.RefusedStream);
    }
    st.reply();
    // The client never writes to the streams we write: whatever it sends there is read and dropped.
    if (type !== 'stdin' && type !== 'resize') st.resume();
    got.set(type, st);
    if (got.size === wanted.size) {
      collecting = false;
      session.emit('allStreams');
    }
  });
  const ready = await new Promise<boolean>((resolve) => {
    if (session.isClosed) return resolve(false);
    const timer = setTimeout(() => resolve(false), streamCreationTimeoutMs);
    session.once('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
    session.once('allStreams', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  collecting = false;
  if (!ready) {
    session.close();
    return undefined;
  }
  const errStream = got.get('error');
  const stdin = got.get('stdin');
  if (stdin && protocol === 'channel.k8s.io') stdin.end(); // v1 closes stdin, as the kubelet does
  const streams: CommandStreams = {
    stdin,
    stdout: got.get('stdout'),
    stderr: got.get('stderr'),
    resize: terminalSizesFrom(got.get('resize')),
    writeStatus: async (r) => {
      const text = v4 ? exitStatusJson(r) : exitStatusText(r);
      if (text !== undefined && errStream) await new Promise<void>((res) => errStream.write(text, () => res()));
    },
    // The session may have ended while the streams were being collected (e.g. a malformed frame in the
    // same read): then the command is aborted at once instead of waiting for a 'close' already emitted.
    onGone: (cb) => (session.isClosed ? cb() : session.once('close', cb)),
    finish: async () => {
      await Promise.all([endWritable(got.get('stdout')), endWritable(got.get('stderr')), endWritable(errStream)]);
      session.goAway();
    },
  };
  return await run(kind, backend, { ...req, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr, tty: opts.tty }, streams);
}

/** Serves an exec/attach over a WebSocket channel connection. */
export async function serveWebSocketCommand(
  kind: 'exec' | 'attach',
  mux: ChannelMux,
  backend: KubeletBackend,
  req: ExecRequest,
  opts: StreamOptions,
): Promise<ExecResult> {
  const stdin = opts.stdin ? mux.channel(0, true) : undefined;
  const stdout = opts.stdout ? mux.channel(1) : undefined;
  const stderr = opts.stderr ? mux.channel(2) : undefined;
  const errCh = mux.channel(3);
  const resizeCh = opts.tty ? mux.channel(4, true) : undefined;
  // Like the kubelet: an empty message on the lowest writable channel tells the client we are ready.
  (stdout ?? stderr ?? errCh).write(Buffer.alloc(0));
  const v4plus = mux.protocol === 'v4.channel.k8s.io' || mux.protocol === 'v5.channel.k8s.io';
  const streams: CommandStreams = {
    stdin,
    stdout,
    stderr,
    resize: terminalSizesFrom(resizeCh),
    writeStatus: async (r) => {
      const text = v4plus ? exitStatusJson(r) : exitStatusText(r);
      if (text !== undefined) await new Promise<void>((res) => errCh.write(text, () => res()));
    },
    onGone: (cb) => (mux.isClosed ? cb() : mux.once('close', cb)),
    finish: () => {
      mux.close(1000);
      return Promise.resolve();
    },
  };
  return await run(kind, backend, req, streams);
}
