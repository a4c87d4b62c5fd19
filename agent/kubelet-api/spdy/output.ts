// The outbound side of a SPDY session: every frame reaches the socket through here. Control frames (replies
// included: PING echoes, RST_STREAM, WINDOW_UPDATE) are written at once; DATA waits until the socket holds less
// than dataHighWater. While the unsent output (bytes or writes) is over its bound the session stops reading the
// peer; once it is back under half the bound it reads again; a peer that leaves it unread too long is dropped.
import type { Duplex } from 'node:stream';
import { encodeDataFrame, encodeFrame, type Frame, type HeaderCompressor } from './frames.js';

interface OutputBounds {
  /** Unsent bytes above which the session stops reading the peer. */
  maxQueuedBytes: number;
  /** Unsent writes (frames) above which the session stops reading the peer. */
  maxQueuedFrames: number;
  /** DATA frames wait while this many bytes are unsent. */
  dataHighWater: number;
  /** Output over the bound for this long drops the peer. */
  stallTimeoutMs: number;
}

/** What the output tells its session. */
interface OutputHooks {
  /** True once the session has ended: nothing more is written. */
  closed(): boolean;
  /** Something was written (activity for the idle timeout). */
  wrote(): void;
  /** Output went over its bound: stop reading the peer. */
  blocked(): void;
  /** Output is back under half its bound: read the peer again. */
  resumed(): void;
  /** The peer left output over its bound unread for stallTimeoutMs. */
  stalled(): void;
}

export class SessionOutput {
  private pendingWrites = 0;
  private outputBlocked = false;
  private dataWaiters: (() => void)[] = [];
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Duplex,
    private readonly compressor: HeaderCompressor,
    private readonly bounds: OutputBounds,
    private readonly hooks: OutputHooks,
  ) {}

  /** True while output is over its bound (the peer is not read). */
  get blocked(): boolean {
    return this.outputBlocked;
  }

  /** Writes a frame now; false when it was not written or output is over its bound. */
  frame(f: Frame): boolean {
    if (!this.write(encodeFrame(f, this.compressor))) return false;
    return !this.overBound();
  }

  /** Writes a DATA frame of `parts` (`length` bytes) once the socket has room for it. */
  async data(streamId: number, parts: readonly Buffer[], length: number): Promise<void> {
    while (!this.hooks.closed() && this.socket.writableLength >= this.bounds.dataHighWater) await new Promise<void>((resolve) => this.dataWaiters.push(resolve));
    if (this.hooks.closed() || !this.write(encodeDataFrame(streamId, parts, length))) throw new Error('session closed');
  }

  overBound(): boolean {
    return this.socket.writableLength > this.bounds.maxQueuedBytes || this.pendingWrites > this.bounds.maxQueuedFrames;
  }

  /** Output is over its bound: the session stops reading, and the stall timer runs until the peer reads again. */
  block(): void {
    this.outputBlocked = true;
    this.hooks.blocked();
    this.stallTimer = setTimeout(() => this.hooks.stalled(), this.bounds.stallTimeoutMs);
    this.stallTimer.unref();
  }

  /** The session ended: no stall timer, the header compressor freed, DATA writers woken (they fail). */
  close(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.compressor.close();
    this.wakeDataWaiters();
  }

  private write(buf: Buffer): boolean {
    if (this.hooks.closed() || this.socket.destroyed || this.socket.writableEnded) return false;
    this.hooks.wrote();
    this.pendingWrites++;
    this.socket.write(buf, this.onWritten);
    return true;
  }

  private readonly onWritten = (): void => {
    this.pendingWrites--;
    if (this.hooks.closed()) return;
    if (this.outputBlocked && this.socket.writableLength <= this.bounds.maxQueuedBytes / 2 && this.pendingWrites <= this.bounds.maxQueuedFrames / 2) {
      this.outputBlocked = false;
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.hooks.resumed();
    }
    if (this.dataWaiters.length && this.socket.writableLength < this.bounds.dataHighWater) this.wakeDataWaiters();
  };

  private wakeDataWaiters(): void {
    const w = this.dataWaiters;
    this.dataWaiters = [];
    for (const f of w) f();
  }
}
