// The relay's client for ECI's exec WebSocket (the WebSocketUri returned by ExecContainerCommand), framed as
// exec-framing.ts defines: channel-prefixed binary messages (stdin out; stdout and stderr in, kept apart),
// JSON text control frames, and the exit code in the close reason (see README.md for what is verified).
// Backpressure: stdin pauses on ws.bufferedAmount, the socket pauses while an output sink is full.
import { WebSocket } from 'ws';
import type { Readable, Writable } from 'node:stream';
import { ProviderError, type ExitStatus, type TerminalSize } from '../../pod-provider/provider.js';
import { EXEC_CHANNEL, channelFrame, closeStdinFrame, parseChannelFrame, resizeFrame } from './exec-framing.js';

/** Interval of the keep-alive pings. */
const EXEC_PING_MS = 30_000;
/** Largest stdin payload per frame. */
const STDIN_FRAME_BYTES = 64 * 1024;

export const EXIT_CODE_UNKNOWN = 'ExitCodeUnknown';
export const NON_ZERO_EXIT = 'NonZeroExitCode';

/**
 * How the process ended, from the WebSocket close. A normal close (1000, or 1005 = no status) with a numeric
 * `exitCode` in the JSON reason gives that code; a normal close without one gives 0 with reason ExitCodeUnknown
 * (real ECI may not report it). Any other close code is an error of the stream, not an exit: undefined.
 */
export function exitFromClose(code: number, reason: string): ExitStatus | undefined {
  if (code !== 1000 && code !== 1005) return undefined;
  let exitCode: unknown;
  try {
    exitCode = (JSON.parse(reason) as { exitCode?: unknown } | null)?.exitCode;
  } catch {
    exitCode = undefined;
  }
  if (typeof exitCode === 'number' && Number.isInteger(exitCode) && exitCode >= -2147483648 && exitCode <= 2147483647) {
    return exitCode === 0
      ? { code: 0, reason: '', message: '' }
      : { code: exitCode, reason: NON_ZERO_EXIT, message: `command terminated with non-zero exit code ${exitCode}` };
  }
  return {
    code: 0,
    reason: EXIT_CODE_UNKNOWN,
    message: 'the ECI exec stream closed normally without reporting an exit code; 0 is assumed',
  };
}

interface ExecWsStreams {
  /** Bytes for the process's stdin; its end sends close-stdin. null = no stdin. */
  stdin: Readable | null;
  /** Where the process's stdout goes; null = discard (the caller did not ask for it). */
  stdout: Writable | null;
  /** Where its stderr goes; null = discard. */
  stderr: Writable | null;
  /** Object-mode TerminalSize stream (tty sessions); null = none. */
  resize: Readable | null;
  signal: AbortSignal;
}

interface ExecWsLimits {
  /** Stdin is paused while more than this many bytes wait in the WebSocket's send buffer. */
  stdinBufferedBytes: number;
  /** Largest frame accepted from the server. */
  maxFrameBytes: number;
  handshakeTimeoutMs: number;
  /** The session ends (ExitStatus reason IdleTimeout) after this long with no byte either way. */
  idleMs: number;
}

export const DEFAULT_EXEC_WS_LIMITS: ExecWsLimits = {
  stdinBufferedBytes: 256 * 1024,
  maxFrameBytes: 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  idleMs: 4 * 3600_000,
};

/** Connects to `uri` and runs the session until the process exits, either side closes, or the signal aborts. */
export function runExecWebSocket(uri: string, io: ExecWsStreams, limits: ExecWsLimits = DEFAULT_EXEC_WS_LIMITS): Promise<ExitStatus> {
  if (io.signal.aborted) return Promise.resolve(aborted('the session was cancelled before the exec stream opened'));
  return new Promise<ExitStatus>((resolve, reject) => {
    const ws = new WebSocket(uri, { handshakeTimeout: limits.handshakeTimeoutMs, maxPayload: limits.maxFrameBytes, perMessageDeflate: false });
    let opened = false;
    let settled = false;
    let ending: ExitStatus | undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let pinger: NodeJS.Timeout | undefined;
    const cleanups: Array<() => void> = [];
    const on = <E extends NodeJS.EventEmitter>(em: E, ev: string, fn: (...a: never[]) => void) => {
      em.on(ev, fn as (...a: unknown[]) => void);
      cleanups.push(() => em.off(ev, fn as (...a: unknown[]) => void));
    };

    const finish = (err: Error | undefined, status?: ExitStatus) => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      clearTimeout(killTimer);
      clearInterval(pinger);
      for (const c of cleanups.splice(0)) c();
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
      if (err) reject(err);
      else resolve(status!);
    };
    /** Ends the session from our side: a polite close, then terminate if the server does not answer. */
    const endFromUs = (status: ExitStatus) => {
      if (settled || ending) return;
      ending = status;
      if (!opened) return finish(undefined, status);
      try {
        ws.close(1000, 'client closed');
      } catch {
        return finish(undefined, status);
      }
      killTimer = setTimeout(() => finish(undefined, status), 1000);
      killTimer.unref();
    };
    const touch = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => endFromUs({ code: 1, reason: 'IdleTimeout', message: `no exec traffic for ${limits.idleMs} ms; session closed` }), limits.idleMs);
      idleTimer.unref();
    };

    const onAbort = () => endFromUs(aborted('the session was cancelled'));
    io.signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => io.signal.removeEventListener('abort', onAbort));

    ws.on('unexpected-response', (_req, res) => {
      finish(new ProviderError('UNAVAILABLE', `the ECI exec stream was refused (HTTP ${res.statusCode}); the exec URL may have expired`));
      res.resume();
    });
    ws.on('error', (err) => {
      if (ending) return finish(undefined, ending);
      finish(new ProviderError('UNAVAILABLE', `the ECI exec stream failed: ${err.message}`));
    });
    ws.on('close', (code, reasonBuf) => {
      if (ending) return finish(undefined, ending);
      const reason = reasonBuf.toString('utf8');
      const status = exitFromClose(code, reason);
      if (status) return finish(undefined, status);
      finish(new ProviderError('UNAVAILABLE', `the ECI exec stream closed abnormally (WebSocket code ${code}${reason ? `, ${reason}` : ''}) before the command exited`));
    });

    ws.on('open', () => {
      opened = true;
      if (ending) return endFromUs(ending);
      touch();
      // Keep-alive: ECI drops idle exec connections (seen by a public client); a ping is not traffic for idleMs.
      pinger = setInterval(() => ws.readyState === WebSocket.OPEN && ws.ping(), EXEC_PING_MS);
      pinger.unref();
      // Output: each message's channel byte picks the sink. A full sink pauses the socket, so the server's send
      // buffer fills instead of ours. Other channels (none known) are dropped, never mixed into stdout.
      const sinks = new Map<number, Writable | null>([[EXEC_CHANNEL.stdout, io.stdout], [EXEC_CHANNEL.stderr, io.stderr]]);
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        touch();
        if (!isBinary) return;
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        const frame = parseChannelFrame(buf);
        const out = frame && sinks.get(frame.channel);
        if (!out || out.destroyed || frame.payload.length === 0) return;
        if (!out.write(frame.payload) && !ws.isPaused) {
          ws.pause();
          out.once('drain', () => ws.readyState === WebSocket.OPEN && ws.resume());
        }
      });
      for (const out of [io.stdout, io.stderr]) {
        if (!out) continue;
        const gone = () => endFromUs(aborted('the output stream closed before the command exited'));
        on(out, 'close', gone);
        on(out, 'error', gone);
      }

      if (io.stdin) {
        const stdin = io.stdin;
        const afterSend = () => {
          if (stdin.isPaused() && ws.bufferedAmount <= limits.stdinBufferedBytes && !settled) stdin.resume();
        };
        on(stdin, 'data', (chunk: Buffer | string) => {
          touch();
          if (ws.readyState !== WebSocket.OPEN) return;
          const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          // Frames of at most STDIN_FRAME_BYTES, whatever size the chunk has (the server caps its frames too).
          for (let at = 0; at < buf.length; at += STDIN_FRAME_BYTES) ws.send(channelFrame(EXEC_CHANNEL.stdin, buf.subarray(at, at + STDIN_FRAME_BYTES)), { binary: true }, afterSend);
          if (ws.bufferedAmount > limits.stdinBufferedBytes) stdin.pause();
        });
        on(stdin, 'end', () => {
          if (ws.readyState === WebSocket.OPEN) ws.send(closeStdinFrame());
        });
        cleanups.push(() => stdin.pause());
        if (stdin.readableEnded) ws.send(closeStdinFrame());
        else stdin.resume();
      }

      if (io.resize) {
        on(io.resize, 'data', (size: TerminalSize) => {
          touch();
          if (ws.readyState === WebSocket.OPEN && size && size.cols > 0 && size.rows > 0) ws.send(resizeFrame(size));
        });
        io.resize.resume();
      }
    });
  });
}

function aborted(message: string): ExitStatus {
  return { code: 1, reason: 'SessionAborted', message };
}
