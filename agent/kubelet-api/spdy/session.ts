// A SPDY/3.1 session over any byte Duplex (an upgraded TLS socket, or a WebSocket tunnel): streams are
// Node Duplexes whose error path is handled from the moment they exist. Inbound: a stream whose reader is
// full pauses the socket; frames that break the stream state machine (data or headers after the peer's
// FIN, replies to the wrong side, window overflow) get RST_STREAM and are never pushed. Outbound: data
// waits for room in the socket and, once the peer shows it does SPDY flow control, for send window;
// while our unsent output (replies included) is over a bound we stop reading the peer, and a peer that
// leaves it unread too long is dropped with GOAWAY. Kubernetes' spdystream does none of this.
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
import { InboundBuffer } from '../inbound.js';

const DEFAULT_WINDOW = 64 * 1024;
const MAX_DATA_FRAME = 32 * 1024;
/** Largest flow-control window SPDY/3.1 allows (2^31 - 1). */
export const MAX_WINDOW = 0x7fffffff;
/** SETTINGS entries accepted in one frame (SPDY/3.1 defines 8 ids; Node's http2 accepts 32). */
export const MAX_SETTINGS_ENTRIES = 32;

export enum GoAwayStatus {
  Ok = 0,
  ProtocolError = 1,
  InternalError = 2,
}

/** Peer behaviour the session refuses; each is counted (the `violation` event) and answered. */
export type ViolationKind =
  | 'data_after_fin'
  | 'headers_after_fin'
  | 'data_unknown_stream'
  | 'bad_syn_stream'
  | 'bad_syn_reply'
  | 'bad_window_update'
  | 'bad_settings'
  | 'malformed_frame'
  | 'too_many_violations';

export interface SpdySessionOptions {
  /** 'server' accepts odd (client) stream ids and opens even ones. */
  role: 'server' | 'client';
  /** Per-stream inbound buffer before the socket is paused. */
  streamHighWaterMark?: number;
  /** Inbound bytes all streams' readers may hold together before the socket is paused (default 1 MiB). */
  maxBufferedInputBytes?: number;
  /** Close the session after this long without any frame in either direction. */
  idleTimeoutMs?: number;
  /** Upper bound on concurrently open streams (peer-initiated beyond this are refused). */
  maxStreams?: number;
  /** Unsent output, in bytes, above which the session stops reading the peer (default 1 MiB). */
  maxQueuedOutputBytes?: number;
  /** Unsent writes (frames) above which the session stops reading the peer (default 1024). */
  maxQueuedOutputFrames?: number;
  /** DATA frames wait while this many bytes are unsent (default 64 KiB). */
  dataHighWaterMark?: number;
  /** A peer that leaves our output over the bound unread this long is dropped with GOAWAY (default 60 s). */
  outputStallTimeoutMs?: number;
  /** Protocol violations answered with RST_STREAM before the whole session is dropped (default 100). */
  maxViolations?: number;
  /** After our GOAWAY, the socket is destroyed if the peer has not closed it within this time (default 5 s). */
  goAwayGraceMs?: number;
  /**
   * While we do not read the peer (a reader is full), a PING is sent this often (default 10 s): a peer that
   * has gone makes the write fail, so the session ends instead of waiting for an end it cannot read.
   */
  pausedProbeMs?: number;
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
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: Headers,
    highWaterMark: number,
  ) {
    super({ highWaterMark, allowHalfOpen: true });
    this.inbound = new InboundBuffer((b) => this.push(b), () => this.readableLength, highWaterMark);
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
    void this.writeChunks(chunk).then(() => cb(), cb);
  }

  private async writeChunks(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      if (this.destroyed || this.localFin) throw new Error('stream closed');
      let n = Math.min(MAX_DATA_FRAME, chunk.length - off);
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
      const data = chunk.subarray(off, off + n);
      off += n;
      await this.session.sendData({ type: 'data', streamId: this.id, fin: false, data });
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

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
  error: [Error];
}

export class SpdySession extends EventEmitter {
  readonly role: 'server' | 'client';
  flowControlled = false;
  /** @internal Streams waiting for send window. */ readonly windowBlocked = new Set<SpdyStream>();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly decoder = new FrameDecoder(this.decompressor);
  private readonly streams = new Map<number, SpdyStream>();
  private readonly starved = new Set<SpdyStream>();
  private readonly touched = new Set<SpdyStream>();
  private initialWindow = DEFAULT_WINDOW;
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  private closed = false;
  private sentGoAway = false;
  private decoding = false;
  private violations = 0;
  private pendingWrites = 0;
  private outputBlocked = false;
  private inputOverBudget = false;
  private dataWaiters: (() => void)[] = [];
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private budgetTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private nextPingId: number;
  private readonly hwm: number;
  private readonly inputBudget: number;
  private readonly maxStreams: number;
  private readonly idleTimeoutMs: number;
  private readonly maxQueuedBytes: number;
  private readonly maxQueuedFrames: number;
  private readonly dataHighWater: number;
  private readonly stallTimeoutMs: number;
  private readonly maxViolations: number;
  private readonly goAwayGraceMs: number;
  private readonly probeMs: number;

  constructor(private readonly socket: Duplex, opts: SpdySessionOptions) {
    super();
    this.role = opts.role;
    this.nextStreamId = opts.role === 'server' ? 2 : 1;
    this.hwm = opts.streamHighWaterMark ?? 256 * 1024;
    this.inputBudget = opts.maxBufferedInputBytes ?? 1 << 20;
    this.maxStreams = opts.maxStreams ?? 1000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 4 * 3600_000;
    this.maxQueuedBytes = opts.maxQueuedOutputBytes ?? 1 << 20;
    this.maxQueuedFrames = opts.maxQueuedOutputFrames ?? 1024;
    this.dataHighWater = Math.max(opts.dataHighWaterMark ?? 64 * 1024, socket.writableHighWaterMark);
    this.stallTimeoutMs = opts.outputStallTimeoutMs ?? 60_000;
    this.maxViolations = opts.maxViolations ?? 100;
    this.goAwayGraceMs = opts.goAwayGraceMs ?? 5000;
    this.probeMs = opts.pausedProbeMs ?? 10_000;
    this.nextPingId = opts.role === 'server' ? 2 : 1;
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('end', () => this.close());
    socket.on('close', () => this.close());
    socket.on('error', (err: Error) => {
      this.emit('socketError', err);
      this.close();
    });
    this.armIdle(this.idleTimeoutMs);
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** True once the session has ended ('close' has been emitted). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes written to the socket and not yet flushed (what a peer that does not read makes us hold). */
  get queuedOutputBytes(): number {
    return this.socket.writableLength;
  }

  /** Bytes read from the peer and not yet decoded into frames. */
  get bufferedInputBytes(): number {
    return this.decoder.buffered;
  }

  /** @internal */ get peerInitialWindow(): number {
    return this.initialWindow;
  }

  /** Opens a stream (client role in tests; the kubelet never opens streams). */
  openStream(headers: Headers, fin = false): SpdyStream {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const s = new SpdyStream(this, id, headers, this.hwm);
    this.streams.set(id, s);
    this.sendFrame({ type: 'syn_stream', streamId: id, associatedId: 0, priority: 0, fin, unidirectional: false, headers });
    return s;
  }

  /** Writes a control frame (or a test's raw frame) now; false when output is over its bound. */
  sendFrame(f: Frame): boolean {
    if (!this.write(encodeFrame(f, this.compressor))) return false;
    return !this.overBound();
  }

  /** @internal Writes a DATA frame once the socket has room for it. */
  async sendData(f: Extract<Frame, { type: 'data' }>): Promise<void> {
    while (!this.closed && this.socket.writableLength >= this.dataHighWater) await new Promise<void>((resolve) => this.dataWaiters.push(resolve));
    if (this.closed || !this.write(encodeFrame(f, this.compressor))) throw new Error('session closed');
  }

  /** Sends GOAWAY and ends the socket once pending writes are flushed (destroyed after a grace period). */
  goAway(status = GoAwayStatus.Ok): void {
    if (this.closed || this.sentGoAway) return;
    this.sentGoAway = true;
    this.sendFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status });
    this.socket.end();
    this.graceTimer = setTimeout(() => this.close(), this.goAwayGraceMs);
    this.graceTimer.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.idleTimer, this.stallTimer, this.graceTimer, this.budgetTimer, this.probeTimer]) if (t) clearTimeout(t);
    for (const s of [...this.streams.values()]) s.destroy();
    this.streams.clear();
    this.starved.clear();
    this.touched.clear();
    for (const s of this.windowBlocked) s.wake();
    this.compressor.close();
    this.decompressor.close();
    this.wakeDataWaiters();
    if (!this.socket.destroyed) this.socket.destroy();
    this.emit('close');
  }

  /** @internal */ forget(s: SpdyStream): void {
    this.streams.delete(s.id);
    this.starved.delete(s);
    this.touched.delete(s);
    this.windowBlocked.delete(s);
    if (this.inputOverBudget) this.checkInputBudget();
    this.maybeResume();
  }

  /** @internal */ streamWantsData(s: SpdyStream): void {
    this.starved.delete(s);
    if (this.inputOverBudget) this.checkInputBudget();
    this.maybeResume();
  }

  /** Inbound bytes the streams' readers hold. */
  get bufferedStreamBytes(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.readableLength;
    return n;
  }

  private checkInputBudget(): void {
    const over = this.bufferedStreamBytes > this.inputBudget;
    if (over) this.pauseForReaders();
    // A reader that drains what it holds does not call _read again until more is pushed: while over the
    // budget, look again now and then.
    if (over && !this.budgetTimer) {
      this.budgetTimer = setInterval(() => {
        this.checkInputBudget();
        this.maybeResume();
      }, 20);
      this.budgetTimer.unref();
    } else if (!over && this.budgetTimer) {
      clearInterval(this.budgetTimer);
      this.budgetTimer = undefined;
    }
    this.inputOverBudget = over;
  }

  private write(buf: Buffer): boolean {
    if (this.closed || this.socket.destroyed || this.socket.writableEnded) return false;
    this.lastActivity = Date.now();
    this.pendingWrites++;
    this.socket.write(buf, this.onWritten);
    return true;
  }

  private readonly onWritten = (): void => {
    this.pendingWrites--;
    if (this.closed) return;
    if (this.outputBlocked && this.socket.writableLength <= this.maxQueuedBytes / 2 && this.pendingWrites <= this.maxQueuedFrames / 2) {
      this.outputBlocked = false;
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.emit('outputResumed');
      this.decodeBuffered();
      this.maybeResume();
    }
    if (this.dataWaiters.length && this.socket.writableLength < this.dataHighWater) this.wakeDataWaiters();
  };

  private overBound(): boolean {
    return this.socket.writableLength > this.maxQueuedBytes || this.pendingWrites > this.maxQueuedFrames;
  }

  private blockOutput(): void {
    this.outputBlocked = true;
    this.socket.pause();
    this.emit('outputBlocked');
    this.stallTimer = setTimeout(() => {
      this.emit('outputStall');
      this.sendFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: GoAwayStatus.InternalError });
      this.close();
    }, this.stallTimeoutMs);
    this.stallTimer.unref();
  }

  private wakeDataWaiters(): void {
    const w = this.dataWaiters;
    this.dataWaiters = [];
    for (const f of w) f();
  }

  private maybeResume(): void {
    if (this.closed || this.starved.size > 0 || this.outputBlocked || this.inputOverBudget) return;
    if (this.socket.isPaused()) this.socket.resume();
  }

  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(() => {
      if (this.closed) return;
      const quiet = Date.now() - this.lastActivity;
      if (quiet < this.idleTimeoutMs) return this.armIdle(this.idleTimeoutMs - quiet);
      this.emit('idleTimeout');
      this.goAway();
    }, ms);
    this.idleTimer.unref();
  }

  private onBytes(chunk: Buffer): void {
    if (this.closed) return;
    this.lastActivity = Date.now();
    this.decoder.push(chunk);
    this.decodeBuffered();
  }

  private decodeBuffered(): void {
    if (this.decoding) return;
    this.decoding = true;
    try {
      while (!this.closed) {
        if (this.outputBlocked) break;
        if (this.overBound()) {
          this.blockOutput();
          break;
        }
        const f = this.decoder.next();
        if (!f) break;
        this.onFrame(f);
      }
    } catch (e) {
      const err = e instanceof SpdyProtocolError ? e : new SpdyProtocolError(String(e));
      this.fail('malformed_frame', err);
    } finally {
      this.decoding = false;
      if (this.touched.size) {
        for (const s of this.touched) if (!s.flushInbound()) this.starve(s);
        this.touched.clear();
        this.checkInputBudget();
      }
    }
  }

  private starve(s: SpdyStream): void {
    this.starved.add(s);
    this.pauseForReaders();
  }

  /** Stops reading the peer until the readers catch up, probing meanwhile that the peer is still there. */
  private pauseForReaders(): void {
    this.socket.pause();
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setInterval(() => {
      if (!this.socket.isPaused()) {
        clearInterval(this.probeTimer);
        this.probeTimer = undefined;
        return;
      }
      this.sendFrame({ type: 'ping', id: this.nextPingId });
      this.nextPingId = (this.nextPingId + 2) % 0x7fffffff;
    }, this.probeMs);
    this.probeTimer.unref();
  }

  /** Session error: GOAWAY with PROTOCOL_ERROR, then the session ends. */
  private fail(kind: ViolationKind, err: Error): void {
    if (this.closed) return;
    this.emit('violation', kind, 0);
    this.emit('protocolError', err);
    this.sendFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: GoAwayStatus.ProtocolError });
    this.socket.end();
    this.close();
  }

  /** Stream error: counted, answered with RST_STREAM (the stream, if open, is reset). */
  private violation(kind: ViolationKind, streamId: number, status: RstStatus): void {
    this.emit('violation', kind, streamId);
    const s = this.streams.get(streamId);
    if (s) s.reset(status);
    else this.sendFrame({ type: 'rst_stream', streamId, status });
    if (++this.violations > this.maxViolations) this.fail('too_many_violations', new SpdyProtocolError(`more than ${this.maxViolations} protocol violations`));
  }

  private isPeerId(id: number): boolean {
    return id % 2 === (this.role === 'server' ? 1 : 0);
  }

  /** A stream id no SYN_STREAM has opened yet (as opposed to one that was open and is gone). */
  private neverOpened(id: number): boolean {
    return id === 0 || (this.isPeerId(id) ? id > this.lastPeerStreamId : id >= this.nextStreamId);
  }

  private onFrame(f: Frame): void {
    switch (f.type) {
      case 'syn_stream': {
        if (!this.isPeerId(f.streamId) || f.streamId <= this.lastPeerStreamId) return this.violation('bad_syn_stream', f.streamId, RstStatus.ProtocolError);
        this.lastPeerStreamId = f.streamId;
        if (this.sentGoAway || this.streams.size >= this.maxStreams) {
          this.emit('refusedStream', this.sentGoAway ? 'goaway' : 'maxStreams');
          this.sendFrame({ type: 'rst_stream', streamId: f.streamId, status: RstStatus.RefusedStream });
          return;
        }
        const s = new SpdyStream(this, f.streamId, f.headers, this.hwm);
        this.streams.set(f.streamId, s);
        this.emit('stream', s);
        if (f.fin) s.onRemoteFin();
        return;
      }
      case 'syn_reply': {
        const s = this.streams.get(f.streamId);
        if (this.isPeerId(f.streamId)) return this.violation('bad_syn_reply', f.streamId, RstStatus.ProtocolError);
        if (!s) return; // reset by us while the reply was in flight
        if (s.replied) return this.violation('bad_syn_reply', f.streamId, RstStatus.StreamInUse);
        s.onReply(f.headers, f.fin);
        return;
      }
      case 'headers': {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        if (s.remoteFinished) return this.violation('headers_after_fin', f.streamId, RstStatus.StreamAlreadyClosed);
        if (f.fin) s.onRemoteFin();
        return;
      }
      case 'data': {
        if (f.streamId === 0) return this.fail('malformed_frame', new SpdyProtocolError('DATA frame on stream 0'));
        const s = this.streams.get(f.streamId);
        if (!s) {
          // Data for a stream that was open (and that we reset or finished) may be in flight: dropped.
          if (this.neverOpened(f.streamId)) this.violation('data_unknown_stream', f.streamId, RstStatus.InvalidStream);
          return;
        }
        if (s.remoteFinished) return this.violation('data_after_fin', f.streamId, RstStatus.StreamAlreadyClosed);
        this.emit('bytesIn', f.data.length);
        if (f.data.length) {
          this.touched.add(s);
          if (!s.onData(f.data)) this.starve(s);
        }
        if (f.fin) s.onRemoteFin();
        return;
      }
      case 'rst_stream':
        // Never answered (SPDY/3.1: no RST_STREAM in response to RST_STREAM), whatever the stream.
        this.streams.get(f.streamId)?.onReset();
        return;
      case 'settings': {
        if (f.settings.length > MAX_SETTINGS_ENTRIES) return this.fail('bad_settings', new SpdyProtocolError(`SETTINGS with ${f.settings.length} entries (at most ${MAX_SETTINGS_ENTRIES})`));
        const win = f.settings.findLast((s) => s.id === SETTINGS_INITIAL_WINDOW_SIZE)?.value;
        if (win === undefined) return;
        if (win > MAX_WINDOW) return this.fail('bad_settings', new SpdyProtocolError(`SETTINGS_INITIAL_WINDOW_SIZE ${win} exceeds 2^31-1`));
        const grew = win > this.initialWindow;
        this.initialWindow = win;
        this.flowControlled = true;
        if (grew) for (const s of [...this.windowBlocked]) s.wake();
        return;
      }
      case 'window_update': {
        if (f.streamId === 0) {
          // The session window is not enforced (spdystream sends none); a zero delta is still malformed.
          if (f.delta === 0) this.fail('bad_window_update', new SpdyProtocolError('WINDOW_UPDATE of the session window with delta 0'));
          return;
        }
        if (f.delta === 0) return this.violation('bad_window_update', f.streamId, RstStatus.ProtocolError);
        const s = this.streams.get(f.streamId);
        if (!s) return;
        this.flowControlled = true;
        if (!s.addWindow(f.delta)) this.violation('bad_window_update', f.streamId, RstStatus.FlowControlError);
        return;
      }
      case 'ping':
        // Echo the peer's pings (their ids have the peer's parity); ours are answers.
        if (this.isPeerId(f.id)) this.sendFrame(f);
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
