// Kubernetes' WebSocket channel protocol (channel.k8s.io, v4.channel.k8s.io, v5.channel.k8s.io): each
// binary message is one channel byte plus payload; v5 adds [255, ch] to close a channel. Each channel
// is a Duplex with backpressure (sends wait for ws to flush; a full reader pauses the WebSocket).
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { WebSocket, RawData } from 'ws';
import type { TerminalSize, TerminalSizeSource } from './backend.js';

export const CLOSE_CHANNEL = 255;

export class ChannelStream extends Duplex {
  constructor(private readonly mux: ChannelMux, readonly channel: number) {
    super({ allowHalfOpen: true, highWaterMark: 64 * 1024 });
  }
  override _read(): void {
    this.mux.wantData(this);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.mux.send(this.channel, chunk, cb);
  }
  override _final(cb: (err?: Error | null) => void): void {
    cb();
  }
}

/** Demultiplexes one WebSocket into numbered channels. */
export class ChannelMux extends EventEmitter {
  private readonly streams = new Map<number, ChannelStream>();
  private readonly starved = new Set<ChannelStream>();
  private closed = false;

  constructor(private readonly ws: WebSocket, readonly protocol: string) {
    super();
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', () => this.shutdown());
    ws.on('error', () => this.shutdown());
  }

  get supportsClose(): boolean {
    return this.protocol === 'v5.channel.k8s.io';
  }

  channel(n: number): ChannelStream {
    let s = this.streams.get(n);
    if (!s) {
      s = new ChannelStream(this, n);
      this.streams.set(n, s);
    }
    return s;
  }

  send(channel: number, data: Buffer, cb: (err?: Error | null) => void): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return cb(new Error('websocket closed'));
    const frame = Buffer.allocUnsafe(data.length + 1);
    frame[0] = channel;
    data.copy(frame, 1);
    this.emit('bytesOut', data.length);
    this.ws.send(frame, { binary: true }, (err) => cb(err ?? null));
  }

  /** Closes the WebSocket normally (after queued messages). */
  close(code = 1000, reason = ''): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
    this.shutdown();
  }

  /** @internal */ wantData(s: ChannelStream): void {
    this.starved.delete(s);
    if (this.starved.size === 0 && this.ws.isPaused) this.ws.resume();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    if (!isBinary || buf.length === 0) return; // text (base64) protocols are not offered
    const ch = buf[0];
    if (ch === CLOSE_CHANNEL) {
      if (this.supportsClose && buf.length >= 2) this.streams.get(buf[1])?.push(null);
      return;
    }
    const s = this.streams.get(ch);
    if (!s || s.readableEnded) return; // unknown or closed channel: ignore like wsstream's IgnoreChannel
    const payload = buf.subarray(1);
    this.emit('bytesIn', payload.length);
    if (payload.length && !s.push(payload)) {
      this.starved.add(s);
      this.ws.pause();
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) {
      if (!s.readableEnded) s.push(null);
      s.destroy();
    }
    this.emit('close');
  }
}

/**
 * Parses the resize stream: a sequence of JSON objects {"Width":n,"Height":n}, possibly split or
 * concatenated across chunks. Bounded: a runaway object (>4 KiB) is discarded.
 */
export class ResizeParser {
  private buf = '';
  constructor(private readonly onSize: (s: TerminalSize) => void) {}
  push(chunk: Buffer | string): void {
    this.buf += chunk.toString();
    for (;;) {
      const start = this.buf.indexOf('{');
      if (start < 0) {
        this.buf = '';
        return;
      }
      const end = this.buf.indexOf('}', start);
      if (end < 0) {
        this.buf = this.buf.slice(start);
        if (this.buf.length > 4096) this.buf = '';
        return;
      }
      const text = this.buf.slice(start, end + 1);
      this.buf = this.buf.slice(end + 1);
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
    const p = new ResizeParser((s) => sizes.push(s));
    readable.on('data', (c: Buffer) => p.push(c));
    readable.on('error', () => undefined);
  }
  return sizes;
}
