// A SPDY/3.1 session over any byte Duplex (an upgraded TLS socket, or a WebSocket tunnel): streams are
// Node Duplexes so backpressure flows both ways. Inbound: a stream whose reader is full pauses the
// socket. Outbound: writes wait for the socket to drain and, once the peer shows it does SPDY flow
// control (WINDOW_UPDATE / SETTINGS), for send window. Kubernetes' spdystream does neither.
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import {
  FrameDecoder,
  HeaderCompressor,
  HeaderDecompressor,
  RstStatus,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SpdyProtocolError,
  encodeFrame,
  type Frame,
  type Headers,
} from './frames.js';

const DEFAULT_WINDOW = 64 * 1024;
const MAX_DATA_FRAME = 32 * 1024;

export interface SpdySessionOptions {
  /** 'server' accepts odd (client) stream ids and opens even ones. */
  role: 'server' | 'client';
  /** Per-stream inbound buffer before the socket is paused. */
  streamHighWaterMark?: number;
  /** Close the session after this long without any frame in either direction. */
  idleTimeoutMs?: number;
  /** Upper bound on concurrently open streams (peer-initiated beyond this are refused). */
  maxStreams?: number;
}

export class SpdyStream extends Duplex {
  replied = false;
  private remoteFin = false;
  private localFin = false;
  sendWindow: number;
  private unacked = 0;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: Headers,
    highWaterMark: number,
    initialWindow: number,
  ) {
    super({ highWaterMark, allowHalfOpen: true });
    this.sendWindow = initialWindow;
  }

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Sends SYN_REPLY (server side, once). */
  reply(headers: Headers = new Map(), fin = false): void {
    if (this.replied) return;
    this.replied = true;
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
    void this.writeChunks(chunk).then(() => cb(), cb);
  }

  private async writeChunks(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      if (this.destroyed || this.localFin) throw new Error('stream closed');
      let n = Math.min(MAX_DATA_FRAME, chunk.length - off);
      if (this.session.flowControlled) {
        while (this.sendWindow <= 0) {
          await new Promise<void>((r) => this.waiters.push(r));
          if (this.destroyed) throw new Error('stream closed');
        }
        n = Math.min(n, this.sendWindow);
        this.sendWindow -= n;
      }
      const data = chunk.subarray(off, off + n);
      off += n;
      await this.session.sendFrameAsync({ type: 'data', streamId: this.id, fin: false, data });
      this.session.emit('bytesOut', n);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.localFin && !this.destroyed) {
      if (!this.replied && this.session.role === 'server') this.reply(new Map(), true);
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
    this.wake();
    this.session.forget(this);
    cb(err);
  }

  /** @internal */ onData(data: Buffer): boolean {
    this.unacked += data.length;
    if (this.unacked >= DEFAULT_WINDOW / 2) {
      this.session.sendFrame({ type: 'window_update', streamId: this.id, delta: this.unacked });
      this.unacked = 0;
    }
    return this.push(data);
  }
  /** @internal */ onRemoteFin(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    this.push(null);
    if (this.localFin) this.session.forget(this);
  }
  /** @internal */ onReset(): void {
    this.localFin = this.remoteFin = true;
    this.emit('reset');
    this.destroy();
  }
  /** @internal */ addWindow(delta: number): void {
    this.sendWindow += delta;
    this.wake();
  }
  private markLocalFin(): void {
    this.localFin = true;
    if (this.remoteFin) this.session.forget(this);
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
  error: [Error];
}

export class SpdySession extends EventEmitter {
  readonly role: 'server' | 'client';
  flowControlled = false;
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly decoder = new FrameDecoder(this.decompressor);
  private readonly streams = new Map<number, SpdyStream>();
  private readonly starved = new Set<SpdyStream>();
  private initialWindow = DEFAULT_WINDOW;
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private drainWaiters: (() => void)[] = [];
  private readonly hwm: number;
  private readonly maxStreams: number;
  private readonly idleTimeoutMs: number;

  constructor(private readonly socket: Duplex, opts: SpdySessionOptions) {
    super();
    this.role = opts.role;
    this.nextStreamId = opts.role === 'server' ? 2 : 1;
    this.hwm = opts.streamHighWaterMark ?? 256 * 1024;
    this.maxStreams = opts.maxStreams ?? 1000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 4 * 3600_000;
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('drain', () => this.wakeDrainWaiters());
    socket.on('end', () => this.close());
    socket.on('close', () => this.close());
    socket.on('error', (err: Error) => {
      this.emit('socketError', err);
      this.close();
    });
    this.touch();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Opens a stream (client role in tests; the kubelet never opens streams). */
  openStream(headers: Headers, fin = false): SpdyStream {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const s = new SpdyStream(this, id, headers, this.hwm, this.initialWindow);
    this.streams.set(id, s);
    this.sendFrame({ type: 'syn_stream', streamId: id, associatedId: 0, priority: 0, fin, unidirectional: false, headers });
    return s;
  }

  sendFrame(f: Frame): boolean {
    if (this.closed || this.socket.destroyed || this.socket.writableEnded) return false;
    this.touch();
    return this.socket.write(encodeFrame(f, this.compressor));
  }

  async sendFrameAsync(f: Frame): Promise<void> {
    if (!this.sendFrame(f) && !this.closed) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    if (this.closed) throw new Error('session closed');
  }

  private wakeDrainWaiters(): void {
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
  }

  /** Sends GOAWAY and ends the socket once pending writes are flushed. */
  goAway(): void {
    if (this.closed) return;
    this.sendFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: 0 });
    this.socket.end();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const s of [...this.streams.values()]) s.destroy();
    this.streams.clear();
    this.compressor.close();
    this.decompressor.close();
    this.wakeDrainWaiters();
    if (!this.socket.destroyed) this.socket.destroy();
    this.emit('close');
  }

  /** @internal */ forget(s: SpdyStream): void {
    this.streams.delete(s.id);
    this.starved.delete(s);
    this.maybeResume();
  }

  /** @internal */ streamWantsData(s: SpdyStream): void {
    this.starved.delete(s);
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.starved.size === 0 && this.socket.isPaused()) this.socket.resume();
  }

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.closed) return;
    this.idleTimer = setTimeout(() => {
      this.emit('idleTimeout');
      this.goAway();
      setTimeout(() => this.close(), 1000).unref();
    }, this.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private onBytes(chunk: Buffer): void {
    if (this.closed) return;
    this.touch();
    this.decoder.push(chunk);
    try {
      for (let f = this.decoder.next(); f; f = this.decoder.next()) {
        this.onFrame(f);
        if (this.closed) return;
      }
    } catch (e) {
      const err = e instanceof SpdyProtocolError ? e : new SpdyProtocolError(String(e));
      this.emit('protocolError', err);
      this.sendFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: 1 });
      this.socket.end();
      this.close();
    }
  }

  private onFrame(f: Frame): void {
    switch (f.type) {
      case 'syn_stream': {
        const peerParity = this.role === 'server' ? 1 : 0;
        if (f.streamId % 2 !== peerParity || f.streamId <= this.lastPeerStreamId) {
          this.sendFrame({ type: 'rst_stream', streamId: f.streamId, status: RstStatus.ProtocolError });
          return;
        }
        this.lastPeerStreamId = f.streamId;
        if (this.streams.size >= this.maxStreams) {
          this.sendFrame({ type: 'rst_stream', streamId: f.streamId, status: RstStatus.RefusedStream });
          return;
        }
        const s = new SpdyStream(this, f.streamId, f.headers, this.hwm, this.initialWindow);
        this.streams.set(f.streamId, s);
        this.emit('stream', s);
        if (f.fin) s.onRemoteFin();
        return;
      }
      case 'syn_reply': {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        s.replied = true;
        s.emit('reply', f.headers);
        if (f.fin) s.onRemoteFin();
        return;
      }
      case 'headers': {
        const s = this.streams.get(f.streamId);
        if (s && f.fin) s.onRemoteFin();
        return;
      }
      case 'data': {
        const s = this.streams.get(f.streamId);
        if (!s) return; // stream already gone: drop, like spdystream
        this.emit('bytesIn', f.data.length);
        if (f.data.length && !s.onData(f.data)) {
          this.starved.add(s);
          this.socket.pause();
        }
        if (f.fin) s.onRemoteFin();
        return;
      }
      case 'rst_stream':
        this.streams.get(f.streamId)?.onReset();
        return;
      case 'settings':
        for (const s of f.settings) {
          if (s.id === SETTINGS_INITIAL_WINDOW_SIZE) {
            const delta = s.value - this.initialWindow;
            this.initialWindow = s.value;
            this.flowControlled = true;
            for (const st of this.streams.values()) st.addWindow(delta);
          }
        }
        return;
      case 'window_update':
        this.flowControlled = true;
        if (f.streamId !== 0) this.streams.get(f.streamId)?.addWindow(f.delta);
        return;
      case 'ping':
        // Echo the peer's pings (their ids have the peer's parity); ours are answers.
        if (f.id % 2 === (this.role === 'server' ? 1 : 0)) this.sendFrame(f);
        else this.emit('pong', f.id);
        return;
      case 'goaway':
        this.emit('goaway');
        return;
      case 'unknown':
        return;
    }
  }
}
