// One interactive session (exec/attach/logs/port-forward/watch) on the relay: its bounded stream
// adapters between a gRPC call and Node streams, and the watchdog that enforces the start, idle and
// send timeouts. A timeout ends only this session, counts a metric and never touches other calls.
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../common/log.js';

/**
 * Not-yet-sent bytes per session before the producer is paused: 256 KiB of the pod's output, 64 KiB of input
 * (stdin, port-forward data to the pod). On a two-core machine 64 KiB hand-offs between the processes of a
 * session cost a context switch every 64 KiB (bench/stream).
 */
export const SESSION_OUTPUT_BYTES = 256 * 1024;
export const SESSION_INPUT_BYTES = 64 * 1024;
/** Largest message built by coalescing queued output chunks. */
const MAX_COALESCED_BYTES = 256 * 1024;

interface SessionTimeouts {
  startTimeoutMs: number;
  sendTimeoutMs: number;
  idleTimeoutMs: number;
}

type AnyCall = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/**
 * The session's writables fail with 'session closed' once it ends (a write waiting for drain then errors);
 * whoever pipes into them sees that, and nobody else must: an unhandled 'error' would end the process.
 */
function quiet(w: Writable): Writable {
  w.on('error', () => undefined);
  return w;
}

/** What SessionGuard.watch reads of a socket. */
interface WatchedSocket {
  bytesRead: number;
  /** Includes bytes still queued in the socket (writableLength). */
  bytesWritten: number;
  writableLength: number;
}

/** Bytes a socket read, plus those it handed on to the connection (written minus still queued). */
const movedBy = (s: WatchedSocket): number => s.bytesRead + s.bytesWritten - s.writableLength;

export class SessionGuard {
  readonly abort = new AbortController();
  private lastActivity = Date.now();
  private sendPendingSince = 0;
  private started = false;
  private readonly createdAt = Date.now();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** A socket whose bytes flow without passing through this guard (watch), and what it had moved at the last check. */
  private watched?: { socket: WatchedSocket; moved: number };

  constructor(
    private readonly call: AnyCall,
    private readonly kind: string,
    private readonly timeouts: SessionTimeouts,
    private readonly log: Logger,
    private readonly onAbort: (reason: string) => void,
  ) {
    const tick = Math.max(20, Math.min(timeouts.startTimeoutMs, timeouts.sendTimeoutMs, timeouts.idleTimeoutMs) / 4);
    this.timer = setInterval(() => this.check(), tick);
    this.timer.unref();
    call.on('cancelled', () => this.close('cancelled by agent'));
    call.on('error', () => this.close('call error'));
    call.on('close', () => this.close('call closed'));
  }

  markStarted(): void {
    this.started = true;
    this.activity();
  }

  activity(): void {
    this.lastActivity = Date.now();
  }

  /** Fails the session with a status (once) and aborts the provider side. */
  fail(code: grpc.status, details: string): void {
    if (this.closed) return;
    this.log.warn({ kind: this.kind, code: grpc.status[code], details }, 'session ended');
    this.call.emit('error', { code, details, name: 'SessionError', message: details } as grpc.ServiceError);
    this.close(details);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.abort.abort(new Error(reason));
  }

  /**
   * Judges a socket that bytes flow through without passing here (a data connection piped straight to the
   * pod's socket, bridges.ts) by its counters at each check instead of by every chunk: bytes that moved either
   * way are activity, bytes queued for the agent that do not move are a pending send (the send timeout).
   */
  watch(socket: WatchedSocket): void {
    this.watched = { socket, moved: movedBy(socket) };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * A Writable whose chunks become messages on the call. Chunks queued while the call is busy are
   * coalesced into one message of up to MAX_COALESCED_BYTES; backpressure follows the call's own
   * buffer ('drain'), which HTTP/2 flow control in turn holds back when the agent does not read.
   */
  writable(wrap: (chunk: Buffer) => unknown): Writable {
    const call = this.call as Writable;
    const send = (data: Buffer, cb: (err?: Error | null) => void) => this.sendTo(call, () => call.write(wrap(data)), cb);
    return quiet(new Writable({
      highWaterMark: SESSION_OUTPUT_BYTES,
      write: (chunk: Buffer, _enc, cb) => send(chunk, cb),
      writev: (chunks, cb) => {
        const bufs = chunks.map((c) => c.chunk as Buffer);
        // Split into messages of at most MAX_COALESCED_BYTES; wait for each send's callback in turn.
        const batches: Buffer[] = [];
        let cur: Buffer[] = [];
        let size = 0;
        for (const b of bufs) {
          if (size + b.length > MAX_COALESCED_BYTES && cur.length) {
            batches.push(Buffer.concat(cur, size));
            cur = [];
            size = 0;
          }
          cur.push(b);
          size += b.length;
        }
        if (cur.length) batches.push(Buffer.concat(cur, size));
        const next = (i: number): void => {
          if (i === batches.length) return cb();
          send(batches[i], (err) => (err ? cb(err) : next(i + 1)));
        };
        next(0);
      },
    }));
  }

  /**
   * A Writable whose chunks go to the session's data connection, each as `frame(chunk)`; backpressure and the
   * send timeout as on the call. The parts of all chunks queued at once are corked into one socket write (one
   * TLS write and one syscall where separate writes cost one each, a 5-byte record for every frame header).
   */
  socketWritable(socket: Writable, frame: (chunk: Buffer) => Buffer[]): Writable {
    const send = (chunks: Buffer[], cb: (err?: Error | null) => void) =>
      this.sendTo(socket, () => {
        let ok = true;
        socket.cork();
        for (const chunk of chunks) for (const part of frame(chunk)) ok = socket.write(part);
        socket.uncork();
        return ok;
      }, cb);
    return quiet(new Writable({
      highWaterMark: SESSION_OUTPUT_BYTES,
      write: (chunk: Buffer, _enc, cb) => send([chunk], cb),
      writev: (chunks, cb) => send(chunks.map((c) => c.chunk as Buffer), cb),
    }));
  }

  private checkWatched(t: number): void {
    const w = this.watched!;
    const moved = movedBy(w.socket);
    if (moved !== w.moved) {
      w.moved = moved;
      this.lastActivity = t;
      this.sendPendingSince = 0;
    } else if (w.socket.writableLength > 0) this.sendPendingSince ||= t;
  }

  /** Runs `write` on `target`; when it reports a full buffer, waits for 'drain' (bounded by the send timeout). */
  private sendTo(target: Writable, write: () => boolean, cb: (err?: Error | null) => void): void {
    if (this.closed || target.destroyed) return cb(new Error('session closed'));
    this.activity();
    if (write()) return cb();
    this.sendPendingSince = Date.now();
    const onDrain = () => {
      this.abort.signal.removeEventListener('abort', onAbort);
      this.sendPendingSince = 0;
      this.activity();
      cb();
    };
    const onAbort = () => {
      target.off('drain', onDrain);
      this.sendPendingSince = 0;
      cb(new Error('session closed'));
    };
    target.once('drain', onDrain);
    this.abort.signal.addEventListener('abort', onAbort, { once: true });
  }

  /** Sends one message, waiting for the call to drain if its buffer is full (bounded by the send timeout). */
  send(message: unknown): Promise<void> {
    const call = this.call as Writable;
    return new Promise((resolve, reject) => this.sendTo(call, () => call.write(message), (err) => (err ? reject(err) : resolve())));
  }

  private check(): void {
    const t = Date.now();
    if (this.watched) this.checkWatched(t);
    if (!this.started && t - this.createdAt > this.timeouts.startTimeoutMs) {
      this.onAbort('start_timeout');
      this.fail(grpc.status.DEADLINE_EXCEEDED, `${this.kind}: first message not received within ${this.timeouts.startTimeoutMs} ms`);
    } else if (this.sendPendingSince && t - this.sendPendingSince > this.timeouts.sendTimeoutMs) {
      this.onAbort('send_timeout');
      this.fail(grpc.status.RESOURCE_EXHAUSTED, `${this.kind}: the agent did not read for ${this.timeouts.sendTimeoutMs} ms; session ended`);
    } else if (t - this.lastActivity > this.timeouts.idleTimeoutMs) {
      this.onAbort('idle_timeout');
      this.fail(grpc.status.DEADLINE_EXCEEDED, `${this.kind}: idle for ${this.timeouts.idleTimeoutMs} ms`);
    }
  }
}
