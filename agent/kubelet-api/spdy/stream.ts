// One SPDY/3.1 stream as a Node Duplex whose error path is handled from the moment it exists: its reply, FIN and
// reset states, its send window (the peer's initial window plus WINDOW_UPDATEs, once the peer shows it does flow
// control), and inbound payload gathered for its reader (inbound.ts). Frames go out through its session.
import { Duplex } from 'node:stream';
import { RstStatus, type Frame, type Headers } from './frames.js';
import { InboundBuffer } from '../inbound.js';

/** SPDY/3.1's initial flow-control window; we acknowledge inbound data in halves of it. */
export const DEFAULT_WINDOW = 64 * 1024;
/**
 * Largest DATA frame we send. Writes queued while a frame is out are coalesced into frames up to this size:
 * pieces of a session's output arrive as TLS records (16 KiB), and each frame costs a WebSocket message or
 * TLS write here and in the API server and kubectl.
 */
const MAX_DATA_FRAME = 128 * 1024;
/** Largest flow-control window SPDY/3.1 allows (2^31 - 1). */
export const MAX_WINDOW = 0x7fffffff;

/** What a stream needs of its session (SpdySession). */
export interface StreamSession {
  readonly role: 'server' | 'client';
  /** True once the peer has shown it does SPDY flow control (SETTINGS or WINDOW_UPDATE). */
  readonly flowControlled: boolean;
  readonly peerInitialWindow: number;
  /** Streams waiting for send window. */
  readonly windowBlocked: Set<SpdyStream>;
  sendFrame(f: Frame): boolean;
  sendData(streamId: number, parts: readonly Buffer[], length: number): Promise<void>;
  /** The stream is done (both sides finished, or destroyed). */
  forget(s: SpdyStream): void;
  /** The stream's reader wants more. */
  streamWantsData(s: SpdyStream): void;
  emit(event: 'streamError', err: Error, s: SpdyStream): boolean;
  emit(event: 'bytesOut', n: number): boolean;
}

/** A stream's buffers: what its reader may hold before the peer is paused, and what its writer may queue. */
export interface StreamHighWater {
  inbound: number;
  output: number;
}

export class SpdyStream extends Duplex {
  private replySent = false;
  private replyReceived = false;
  private remoteFin = false;
  private localFin = false;
  /** Send window = the peer's initial window (SETTINGS) + WINDOW_UPDATEs - bytes sent. */
  private windowAdjust = 0;
  private unacked = 0;
  private waiters: (() => void)[] = [];
  private readonly inbound: InboundBuffer;

  constructor(
    private readonly session: StreamSession,
    readonly id: number,
    readonly headers: Headers,
    highWater: StreamHighWater,
  ) {
    super({ readableHighWaterMark: highWater.inbound, writableHighWaterMark: highWater.output, allowHalfOpen: true });
    this.inbound = new InboundBuffer((b) => this.push(b), () => this.readableLength, highWater.inbound);
    // Writes after a reset fail with an error: handled here, whoever uses the stream (and whenever).
    this.on('error', (err: Error) => this.session.emit('streamError', err, this));
  }

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  get sendWindow(): number {
    return this.session.peerInitialWindow + this.windowAdjust;
  }

  /** Whether the peer has finished sending (FIN, or the stream was reset). */
  get remoteFinished(): boolean {
    return this.remoteFin;
  }

  /** Whether the peer answered our SYN_STREAM (client side). */
  get replied(): boolean {
    return this.replyReceived || this.replySent;
  }

  /** Sends SYN_REPLY (server side, once). */
  reply(headers: Headers = new Map(), fin = false): void {
    if (this.replySent || this.destroyed) return;
    this.replySent = true;
    this.session.sendFrame({ type: 'syn_reply', streamId: this.id, fin, headers });
    if (fin) this.markLocalFin();
  }

  /** Aborts the stream with RST_STREAM. */
  reset(status = RstStatus.Cancel): void {
    if (!this.destroyed) {
      this.session.sendFrame({ type: 'rst_stream', streamId: this.id, status });
      this.localFin = this.remoteFin = true;
      this.destroy();
    }
  }

  override _read(): void {
    this.session.streamWantsData(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    void this.writeParts([chunk]).then(() => cb(), cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    void this.writeParts(chunks.map((c) => c.chunk)).then(() => cb(), cb);
  }

  /** Sends `parts` in order as DATA frames of up to MAX_DATA_FRAME bytes (and the send window). */
  private async writeParts(parts: Buffer[]): Promise<void> {
    let left = parts.reduce((a, p) => a + p.length, 0);
    let i = 0;
    let off = 0;
    while (left > 0) {
      if (this.destroyed || this.localFin) throw new Error('stream closed');
      let n = Math.min(MAX_DATA_FRAME, left);
      if (this.session.flowControlled) {
        while (this.sendWindow <= 0) {
          this.session.windowBlocked.add(this);
          await new Promise<void>((r) => this.waiters.push(r));
          this.session.windowBlocked.delete(this);
          if (this.destroyed) throw new Error('stream closed');
        }
        n = Math.min(n, this.sendWindow);
        this.windowAdjust -= n;
      }
      const pieces: Buffer[] = [];
      for (let need = n; need > 0; ) {
        const take = Math.min(need, parts[i].length - off);
        pieces.push(parts[i].subarray(off, off + take));
        need -= take;
        off += take;
        if (off === parts[i].length) {
          i++;
          off = 0;
        }
      }
      left -= n;
      await this.session.sendData(this.id, pieces, n);
      this.session.emit('bytesOut', n);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.localFin && !this.destroyed) {
      if (!this.replySent && this.session.role === 'server') this.reply(new Map(), true);
      else this.session.sendFrame({ type: 'data', streamId: this.id, fin: true, data: Buffer.alloc(0) });
      this.markLocalFin();
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!(this.localFin && this.remoteFin)) {
      this.localFin = this.remoteFin = true;
      this.session.sendFrame({ type: 'rst_stream', streamId: this.id, status: RstStatus.Cancel });
    }
    this.inbound.clear();
    this.wake();
    this.session.forget(this);
    cb(err);
  }

  /** @internal Queues inbound payload; false when the reader is full. */ onData(data: Buffer): boolean {
    this.unacked += data.length;
    if (this.unacked >= DEFAULT_WINDOW / 2) {
      this.session.sendFrame({ type: 'window_update', streamId: this.id, delta: this.unacked });
      this.unacked = 0;
    }
    return this.inbound.add(data);
  }
  /** @internal Pushes gathered inbound payload; false when the reader is full. */ flushInbound(): boolean {
    return this.destroyed ? true : this.inbound.flush();
  }
  /** @internal */ onReply(headers: Headers, fin: boolean): void {
    this.replyReceived = true;
    this.emit('reply', headers);
    if (fin) this.onRemoteFin();
  }
  /** @internal */ onRemoteFin(): void {
    if (this.remoteFin || this.destroyed) return;
    this.remoteFin = true;
    this.inbound.flush();
    this.push(null);
    if (this.localFin) this.session.forget(this);
  }
  /** @internal */ onReset(): void {
    this.localFin = this.remoteFin = true;
    this.emit('reset');
    this.destroy();
  }
  /** @internal False when the update would take the window past 2^31-1. */ addWindow(delta: number): boolean {
    if (this.sendWindow + delta > MAX_WINDOW) return false;
    this.windowAdjust += delta;
    this.wake();
    return true;
  }
  /** @internal */ wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  private markLocalFin(): void {
    this.localFin = true;
    if (this.remoteFin) this.session.forget(this);
  }
}
