// A SPDY/3.1 session over any byte Duplex (an upgraded TLS socket, or a WebSocket tunnel): lifecycle (idle
// timeout, GOAWAY, close) and the frame dispatch that keeps the stream state machine: a frame that breaks it gets
// RST_STREAM and is never pushed; too many, or a malformed one, end the session. Streams: stream.ts; outbound
// bounds: output.ts; when the peer is read: read-gate.ts. Kubernetes' spdystream does none of this.
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { FrameDecoder, HeaderCompressor, HeaderDecompressor, RstStatus, SETTINGS_INITIAL_WINDOW_SIZE, SpdyProtocolError, type Frame, type Headers } from './frames.js';
import { SessionOutput } from './output.js';
import { ReadGate } from './read-gate.js';
import { DEFAULT_WINDOW, MAX_WINDOW, SpdyStream, type StreamHighWater, type StreamSession } from './stream.js';

/** SETTINGS entries accepted in one frame (SPDY/3.1 defines 8 ids; Node's http2 accepts 32). */
export const MAX_SETTINGS_ENTRIES = 32;

enum GoAwayStatus {
  Ok = 0,
  ProtocolError = 1,
  InternalError = 2,
}

/** Peer behaviour the session refuses; each is counted (the `violation` event) and answered. */
type ViolationKind =
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
  /**
   * Output one stream buffers before its writer waits (default 256 KiB). Larger than the inbound side: on a
   * two-core machine 64 KiB hand-offs between the six processes of a session cost a context switch every
   * 64 KiB and about a third of the throughput (bench/stream).
   */
  streamOutputHighWaterMark?: number;
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
  /** DATA frames wait while this many bytes are unsent (default 256 KiB). */
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

export class SpdySession extends EventEmitter implements StreamSession {
  readonly role: 'server' | 'client';
  flowControlled = false;
  /** @internal Streams waiting for send window. */ readonly windowBlocked = new Set<SpdyStream>();
  private readonly decompressor = new HeaderDecompressor();
  private readonly decoder = new FrameDecoder(this.decompressor);
  private readonly streams = new Map<number, SpdyStream>();
  /** Streams given payload in this decoding pass: their readers get it at its end. */
  private readonly touched = new Set<SpdyStream>();
  private readonly out: SessionOutput;
  private readonly gate: ReadGate;
  private initialWindow = DEFAULT_WINDOW;
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  private closed = false;
  private sentGoAway = false;
  private decoding = false;
  private violations = 0;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly hwm: StreamHighWater;
  private readonly maxStreams: number;
  private readonly idleTimeoutMs: number;
  private readonly maxViolations: number;
  private readonly goAwayGraceMs: number;

  constructor(private readonly socket: Duplex, opts: SpdySessionOptions) {
    super();
    this.role = opts.role;
    this.nextStreamId = opts.role === 'server' ? 2 : 1;
    this.hwm = { inbound: opts.streamHighWaterMark ?? 256 * 1024, output: opts.streamOutputHighWaterMark ?? 256 * 1024 };
    this.maxStreams = opts.maxStreams ?? 1000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 4 * 3600_000;
    this.maxViolations = opts.maxViolations ?? 100;
    this.goAwayGraceMs = opts.goAwayGraceMs ?? 5000;
    const bounds = {
      maxQueuedBytes: opts.maxQueuedOutputBytes ?? 1 << 20,
      maxQueuedFrames: opts.maxQueuedOutputFrames ?? 1024,
      dataHighWater: Math.max(opts.dataHighWaterMark ?? 256 * 1024, socket.writableHighWaterMark),
      stallTimeoutMs: opts.outputStallTimeoutMs ?? 60_000,
    };
    this.out = new SessionOutput(socket, new HeaderCompressor(), bounds, {
      closed: () => this.closed,
      wrote: () => {
        this.lastActivity = Date.now();
      },
      blocked: () => {
        this.socket.pause();
        this.emit('outputBlocked');
      },
      resumed: () => {
        this.emit('outputResumed');
        this.decodeBuffered();
        this.gate.maybeResume();
      },
      stalled: () => {
        this.emit('outputStall');
        this.sendFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: GoAwayStatus.InternalError });
        this.close();
      },
    });
    const gateOptions = { inputBudget: opts.maxBufferedInputBytes ?? 1 << 20, probeMs: opts.pausedProbeMs ?? 10_000, firstPingId: opts.role === 'server' ? 2 : 1 };
    this.gate = new ReadGate(socket, gateOptions, {
      closed: () => this.closed,
      outputBlocked: () => this.out.blocked,
      bufferedStreamBytes: () => this.bufferedStreamBytes,
      ping: (id) => this.sendFrame({ type: 'ping', id }),
    });
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
    return this.out.frame(f);
  }

  /** @internal Writes a DATA frame of `parts` (`length` bytes, not FIN) once the socket has room for it. */
  sendData(streamId: number, parts: readonly Buffer[], length: number): Promise<void> {
    return this.out.data(streamId, parts, length);
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
    for (const t of [this.idleTimer, this.graceTimer]) if (t) clearTimeout(t);
    this.gate.close();
    for (const s of [...this.streams.values()]) s.destroy();
    this.streams.clear();
    this.touched.clear();
    for (const s of this.windowBlocked) s.wake();
    this.out.close();
    this.decompressor.close();
    if (!this.socket.destroyed) this.socket.destroy();
    this.emit('close');
  }

  /** @internal */ forget(s: SpdyStream): void {
    this.streams.delete(s.id);
    this.touched.delete(s);
    this.windowBlocked.delete(s);
    this.gate.release(s);
  }

  /** @internal */ streamWantsData(s: SpdyStream): void {
    this.gate.release(s);
  }

  /** Inbound bytes the streams' readers hold. */
  get bufferedStreamBytes(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.readableLength;
    return n;
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
        if (this.out.blocked) break;
        if (this.out.overBound()) {
          this.out.block();
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
        for (const s of this.touched) if (!s.flushInbound()) this.gate.starve(s);
        this.touched.clear();
        this.gate.checkInputBudget();
      }
    }
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
          if (!s.onData(f.data)) this.gate.starve(s);
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
