// When a SPDY session stops reading its peer and when it reads again: it stops while a stream's reader is full
// (starved), while all readers together hold more than the input budget, and while our output is over its bound
// (output.ts); it reads again when none of these holds. While paused it PINGs the peer every probeMs, so a
// peer that has gone makes the write fail and the session ends instead of waiting for an end it cannot read.
import type { Duplex } from 'node:stream';
import type { SpdyStream } from './stream.js';

interface ReadGateOptions {
  /** Inbound bytes all streams' readers may hold together before the socket is paused. */
  inputBudget: number;
  /** PING interval while paused. */
  probeMs: number;
  /** Our first PING id (ours have our parity: even for a server, odd for a client). */
  firstPingId: number;
}

/** What the gate asks of its session. */
interface ReadGateHooks {
  closed(): boolean;
  /** Output over its bound (the session must not read either). */
  outputBlocked(): boolean;
  /** Inbound bytes the streams' readers hold. */
  bufferedStreamBytes(): number;
  ping(id: number): void;
}

export class ReadGate {
  private readonly starved = new Set<SpdyStream>();
  private inputOverBudget = false;
  private budgetTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private nextPingId: number;

  constructor(
    private readonly socket: Duplex,
    private readonly opts: ReadGateOptions,
    private readonly hooks: ReadGateHooks,
  ) {
    this.nextPingId = opts.firstPingId;
  }

  /** s's reader is full: stop reading until it wants more. */
  starve(s: SpdyStream): void {
    this.starved.add(s);
    this.pauseForReaders();
  }

  /** s's reader wants more, or s is gone: read again if nothing else holds the session back. */
  release(s: SpdyStream): void {
    this.starved.delete(s);
    if (this.inputOverBudget) this.checkInputBudget();
    this.maybeResume();
  }

  checkInputBudget(): void {
    const over = this.hooks.bufferedStreamBytes() > this.opts.inputBudget;
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

  maybeResume(): void {
    if (this.hooks.closed() || this.starved.size > 0 || this.hooks.outputBlocked() || this.inputOverBudget) return;
    if (this.socket.isPaused()) this.socket.resume();
  }

  /**
   * The session ended. The timers are cleared but stay set, so streams released while the session closes
   * arm no new ones.
   */
  close(): void {
    for (const t of [this.budgetTimer, this.probeTimer]) if (t) clearTimeout(t);
    this.starved.clear();
  }

  /** Stops reading the peer until the readers catch up, probing meanwhile that the peer is still there. */
  private pauseForReaders(): void {
    this.socket.pause();
    if (this.probeTimer || this.hooks.closed()) return;
    this.probeTimer = setInterval(() => {
      if (!this.socket.isPaused()) {
        clearInterval(this.probeTimer);
        this.probeTimer = undefined;
        return;
      }
      this.hooks.ping(this.nextPingId);
      this.nextPingId = (this.nextPingId + 2) % 0x7fffffff;
    }, this.opts.probeMs);
    this.probeTimer.unref();
  }
}
