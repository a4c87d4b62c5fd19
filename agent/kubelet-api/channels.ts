// Kubernetes' WebSocket channel protocol (channel.k8s.io, v4.channel.k8s.io, v5.channel.k8s.io): each
// binary message is one channel byte plus payload; v5 adds [255, ch] to close a channel. Each channel
// is a Duplex with backpressure both ways (sends wait for ws to flush; a full reader pauses the WebSocket)
// and its error path handled from the start. Data after a CLOSE, or on a channel the server only writes,
// is dropped and counted. Pings are answered here (the server runs ws with autoPong off) and skipped while
// our unsent output is over its bound; a peer that leaves it unread too long is disconnected.
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { WebSocket, RawData } from 'ws';
import type { TerminalSize, TerminalSizeSource } from './backend.js';
import { InboundBuffer } from './inbound.js';

const CLOSE_CHANNEL = 255;
/** Largest WebSocket message we send: bigger writes go out as several messages, one after the other. */
const MAX_SENT_MESSAGE = 256 * 1024;
/** What a channel's reader may hold (stdin, port-forward data) before the WebSocket is no longer read. */
const INBOUND_HIGH_WATER = 64 * 1024;
/**
 * What a channel's writer may queue. Larger than the inbound side: on a two-core machine 64 KiB hand-offs
 * between the processes of a session cost a context switch every 64 KiB (bench/stream: exec 0.6 -> 0.8 of the
 * kubelet's throughput with this and 256 KiB messages).
 */
const OUTPUT_HIGH_WATER = 256 * 1024;

/** Client behaviour the mux drops and counts (the `violation` event). */
type ChannelViolation = 'data_after_close' | 'data_on_output_channel' | 'unknown_channel' | 'text_message';

export interface ChannelMuxOptions {
  /** Unsent output beyond what the channels' own in-flight messages explain (default 1 MiB). */
  maxQueuedOutputBytes?: number;
  /** A peer that leaves our output over the bound unread this long is disconnected (default 60 s). */
  outputStallTimeoutMs?: number;
  /** While we do not read the peer (a reader is full), a ping is sent this often, so a gone peer is noticed (default 10 s). */
  pausedProbeMs?: number;
}

class ChannelStream extends Duplex {
  private remoteClosed = false;
  private readonly inbound: InboundBuffer;

  /** `input`: the client may write to this channel (stdin, resize, port-forward data). */
  constructor(private readonly mux: ChannelMux, readonly channel: number, readonly input: boolean) {
    super({ allowHalfOpen: true, readableHighWaterMark: INBOUND_HIGH_WATER, writableHighWaterMark: OUTPUT_HIGH_WATER });
    this.inbound = new InboundBuffer((b) => this.push(b), () => this.readableLength, INBOUND_HIGH_WATER);
    this.on('error', (err: Error) => this.mux.emit('streamError', err, this));
  }
  get closedByPeer(): boolean {
    return this.remoteClosed;
  }
  override _read(): void {
    this.mux.wantData(this);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.mux.send(this.channel, chunk, cb);
  }
  /** Chunks queued while a message was being written go out as one message (one copy, as for a single chunk). */
  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.mux.sendMany(this.channel, chunks.map((c) => c.chunk), cb);
  }
  override _final(cb: (err?: Error | null) => void): void {
    cb();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.inbound.clear();
    cb(err);
  }
  /** @internal */ onData(payload: Buffer): boolean {
    return this.inbound.add(payload);
  }
  /** @internal */ flushInbound(): boolean {
    return this.destroyed ? true : this.inbound.flush();
  }
  /** @internal The client closed its side (v5 CLOSE, or the connection ended). */ onRemoteClose(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    if (this.destroyed) return;
    this.inbound.flush();
    this.push(null);
  }
}

/** Demultiplexes one WebSocket into numbered channels. */
export class ChannelMux extends EventEmitter {
  private readonly streams = new Map<number, ChannelStream>();
  private readonly starved = new Set<ChannelStream>();
  private readonly touched = new Set<ChannelStream>();
  private flushScheduled = false;
  private closed = false;
  private outputBlocked = false;
  private outputPoll: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly probeMs: number;
  private readonly maxQueued: number;
  private readonly stallTimeoutMs: number;

  /** `ws` must not answer pings itself (WebSocketServer option autoPong: false): the mux does. */
  constructor(private readonly ws: WebSocket, readonly protocol: string, opts: ChannelMuxOptions = {}) {
    super();
    this.maxQueued = opts.maxQueuedOutputBytes ?? 1 << 20;
    this.stallTimeoutMs = opts.outputStallTimeoutMs ?? 60_000;
    this.probeMs = opts.pausedProbeMs ?? 10_000;
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('ping', (data: Buffer) => this.onPing(data));
    ws.on('close', () => this.shutdown());
    ws.on('error', () => this.shutdown());
  }

  /** True once the connection has ended ('close' has been emitted). */
  get isClosed(): boolean {
    return this.closed;
  }

  get supportsClose(): boolean {
    return this.protocol === 'v5.channel.k8s.io';
  }

  /** Unsent output the WebSocket holds. */
  get queuedOutputBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** The channel's stream; `input` marks channels the client may write to (others drop its data). */
  channel(n: number, input = false): ChannelStream {
    let s = this.streams.get(n);
    if (!s) {
      s = new ChannelStream(this, n, input);
      this.streams.set(n, s);
    }
    return s;
  }

  /** Sends `parts` as messages of at most MAX_SENT_MESSAGE payload bytes, each copied once behind the channel byte. */
  sendMany(channel: number, parts: Buffer[], cb: (err?: Error | null) => void): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return cb(new Error('websocket closed'));
    let size = 0;
    let n = 0;
    while (n < parts.length && (n === 0 || size + parts[n].length <= MAX_SENT_MESSAGE)) size += parts[n++].length;
    if (n === 1) return this.send(channel, parts[0], (err) => (err || parts.length === 1 ? cb(err) : this.sendMany(channel, parts.slice(1), cb)));
    const frame = Buffer.allocUnsafe(size + 1);
    frame[0] = channel;
    let at = 1;
    for (let i = 0; i < n; i++) at += parts[i].copy(frame, at);
    this.emit('bytesOut', size);
    this.ws.send(frame, { binary: true }, (err) => {
      if (err || n === parts.length) return cb(err ?? null);
      this.sendMany(channel, parts.slice(n), cb);
    });
  }

  send(channel: number, data: Buffer, cb: (err?: Error | null) => void): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return cb(new Error('websocket closed'));
    const piece = data.subarray(0, MAX_SENT_MESSAGE);
    const frame = Buffer.allocUnsafe(piece.length + 1);
    frame[0] = channel;
    piece.copy(frame, 1);
    this.emit('bytesOut', piece.length);
    this.ws.send(frame, { binary: true }, (err) => {
      if (err || piece.length === data.length) return cb(err ?? null);
      this.send(channel, data.subarray(piece.length), cb);
    });
  }

  /** Closes the WebSocket normally (after queued messages). */
  close(code = 1000, reason = ''): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
    this.shutdown();
  }

  /** @internal */ wantData(s: ChannelStream): void {
    this.starved.delete(s);
    this.updatePause();
  }

  private updatePause(): void {
    if (this.closed) return;
    const pause = this.starved.size > 0 || this.outputBlocked;
    if (pause && !this.ws.isPaused) this.ws.pause();
    else if (!pause && this.ws.isPaused) this.ws.resume();
    // A paused WebSocket cannot read the peer's close: a ping now and then fails to write once it is gone.
    if (pause && !this.outputBlocked && !this.probeTimer) {
      this.probeTimer = setInterval(() => {
        if (this.ws.readyState === this.ws.OPEN) this.ws.ping(undefined, false, () => undefined);
      }, this.probeMs);
      this.probeTimer.unref();
    } else if (!pause && this.probeTimer) {
      clearInterval(this.probeTimer);
      this.probeTimer = undefined;
    }
  }

  private violation(kind: ChannelViolation): void {
    this.emit('violation', kind);
  }

  private onPing(data: Buffer): void {
    // RFC 6455 5.5.3: with pings outstanding an endpoint may answer only the latest; a peer that sends
    // pings and does not read our pongs gets none while our output is over its bound.
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (!this.checkOutput()) this.ws.pong(data, false, () => undefined);
  }

  /** True when unsent output is over its bound (then inbound is paused until it drains). */
  private checkOutput(): boolean {
    if (this.outputBlocked) return true;
    if (this.ws.bufferedAmount <= this.limit()) return false;
    this.outputBlocked = true;
    this.emit('outputBlocked');
    this.updatePause();
    this.outputPoll = setInterval(() => {
      if (this.ws.bufferedAmount > this.limit() / 2) return;
      this.unblock();
      this.emit('outputResumed');
    }, 50);
    this.outputPoll.unref();
    this.stallTimer = setTimeout(() => {
      this.emit('outputStall');
      this.ws.terminate();
      this.shutdown();
    }, this.stallTimeoutMs);
    this.stallTimer.unref();
    return true;
  }

  private limit(): number {
    return this.maxQueued + this.streams.size * (MAX_SENT_MESSAGE + 1);
  }

  private unblock(): void {
    this.outputBlocked = false;
    if (this.outputPoll) clearInterval(this.outputPoll);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.updatePause();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    this.checkOutput();
    if (!isBinary) return this.violation('text_message'); // text (base64) protocols are not offered
    if (buf.length === 0) return;
    const ch = buf[0];
    if (ch === CLOSE_CHANNEL) {
      if (this.supportsClose && buf.length >= 2) this.streams.get(buf[1])?.onRemoteClose();
      return;
    }
    const s = this.streams.get(ch);
    if (!s) return this.violation('unknown_channel'); // like wsstream's IgnoreChannel
    if (!s.input) return this.violation('data_on_output_channel');
    if (s.closedByPeer) return this.violation('data_after_close');
    const payload = buf.subarray(1);
    this.emit('bytesIn', payload.length);
    if (payload.length === 0) return;
    if (!s.onData(payload)) this.starve(s);
    this.touched.add(s);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushTouched());
    }
  }

  private flushTouched(): void {
    this.flushScheduled = false;
    for (const s of this.touched) if (!s.flushInbound()) this.starve(s);
    this.touched.clear();
  }

  private starve(s: ChannelStream): void {
    this.starved.add(s);
    this.updatePause();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.outputPoll) clearInterval(this.outputPoll);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    for (const s of this.streams.values()) {
      s.onRemoteClose();
      s.destroy();
    }
    this.touched.clear();
    this.starved.clear();
    this.emit('close');
  }
}

/**
 * Parses the resize stream: a sequence of JSON objects {"Width":n,"Height":n}, possibly split or
 * concatenated across chunks. Bounded: a runaway object (>4 KiB) is discarded.
 */
export class ResizeParser {
  private buf = '';
  /** How far `buf` (which starts with '{') is known to hold no '}': a split object is not re-scanned. */
  private scanned = 0;
  constructor(private readonly onSize: (s: TerminalSize) => void) {}
  push(chunk: Buffer | string): void {
    this.buf += chunk.toString();
    for (;;) {
      const start = this.buf.indexOf('{');
      if (start < 0) {
        this.buf = '';
        this.scanned = 0;
        return;
      }
      if (start > 0) {
        this.buf = this.buf.slice(start);
        this.scanned = 0;
      }
      const end = this.buf.indexOf('}', Math.max(1, this.scanned));
      if (end < 0) {
        this.scanned = this.buf.length;
        if (this.buf.length > 4096) {
          this.buf = '';
          this.scanned = 0;
        }
        return;
      }
      const text = this.buf.slice(0, end + 1);
      this.buf = this.buf.slice(end + 1);
      this.scanned = 0;
      try {
        const o = JSON.parse(text) as { Width?: unknown; Height?: unknown };
        const cols = Number(o.Width);
        const rows = Number(o.Height);
        if (Number.isInteger(cols) && Number.isInteger(rows) && cols >= 0 && rows >= 0 && cols < 65536 && rows < 65536) this.onSize({ cols, rows });
      } catch {
        /* malformed resize message: ignored */
      }
    }
  }
}

/**
 * A TTY session's terminal sizes as the client sends them. The newest is kept, so a backend that
 * subscribes after the client's first message (e.g. once its own session is open) still starts from it.
 */
export class TerminalSizes implements TerminalSizeSource {
  private readonly events = new EventEmitter();
  private current?: TerminalSize;

  /** `sent`: whether the client has a way to send sizes at all (a resize stream or channel). */
  constructor(private readonly sent = true) {}

  get latest(): TerminalSize | undefined {
    return this.current;
  }

  push(size: TerminalSize): void {
    this.current = size;
    this.events.emit('size', size);
  }

  /** Calls `cb` with the newest size now (if there is one) and with every later one; returns the unsubscribe. */
  follow(cb: (size: TerminalSize) => void): () => void {
    if (this.current) cb(this.current);
    this.events.on('size', cb);
    return () => this.events.off('size', cb);
  }

  /** The first size: at once if known, else when it arrives; undefined after `ms`, on abort, or if none can come. */
  first(ms: number, signal: AbortSignal): Promise<TerminalSize | undefined> {
    if (this.current || signal.aborted || !this.sent) return Promise.resolve(this.current);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off('size', done);
        signal.removeEventListener('abort', done);
        resolve(this.current);
      };
      const timer = setTimeout(done, ms);
      this.events.on('size', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** The terminal sizes read from a client's resize stream (none if the session has no such stream). */
export function terminalSizesFrom(readable: NodeJS.ReadableStream | undefined): TerminalSizes {
  const sizes = new TerminalSizes(readable !== undefined);
  if (readable) {
    // Only the newest size of each chunk is passed on: a flood of resize messages costs the backend one
    // resize per chunk read, not one per message.
    let newest: TerminalSize | undefined;
    const p = new ResizeParser((s) => (newest = s));
    readable.on('data', (c: Buffer) => {
      p.push(c);
      if (newest) sizes.push(newest);
      newest = undefined;
    });
    readable.on('error', () => undefined);
  }
  return sizes;
}
