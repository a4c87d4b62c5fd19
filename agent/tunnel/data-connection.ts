// The agent's end of a session data connection (proto/data-connection.ts), once dialled
// (common/data-connection-dial.ts): hands the bytes that come back to the session. When the relay accepts with
// input, the session's input (exec stdin, port-forward bytes) goes on it too, and ending it is the agent's FIN;
// a Service connection then takes the socket itself and pipes its client's socket straight to it.
import type { TLSSocket } from 'node:tls';
import { DATA_ACCEPTED, DATA_ACCEPTED_WITH_INPUT } from '../../proto/data-connection.js';
import type { SocketPump } from '../../common/socket-pump.js';

/** A data connection handed over (SessionDataLink.handOver): its bytes come through `pump`, `leftover` first. */
export interface SplicedLink {
  socket: TLSSocket;
  pump: SocketPump;
  leftover?: Buffer;
}

/**
 * One session's data connection once dialled. The relay's first byte says it took the connection
 * (DATA_ACCEPTED); a connection closed without it was not used (the relay had already sent the output on
 * the gRPC stream), which is not an error. After it, bytes go to `onData`, the relay's FIN to `onEnd`.
 */
export class SessionDataLink {
  private accepted = false;
  private inputOpen = false;
  /** The socket belongs to whoever took it (handOver): pause and resume leave it alone. */
  private handedOver = false;
  /** With a pump: the relay's bytes that came with its first byte, for handOver. */
  private leftover?: Buffer;
  private settleInput: (takesInput: boolean) => void = () => undefined;
  /** Settles when the connection is over: ended, closed, or never used. */
  readonly done: Promise<void>;
  /** Whether the relay reads the session's input here: known at its first byte (false if it never came). */
  readonly takesInput: Promise<boolean>;

  /**
   * `inputOutlivesOutput`: the relay's FIN leaves the input open (port-forward); else it ends the link.
   * `pump` (the socket was dialled with its onread): the link reads through it, and when the relay takes
   * input here it stops at the relay's first byte for `handOver`, which gives the socket, the pump and any
   * bytes after that first byte to a caller that moves them both ways.
   */
  constructor(
    private readonly socket: TLSSocket,
    onData: (b: Buffer) => void,
    onEnd: () => void,
    onError: (e: Error) => void,
    private readonly inputOutlivesOutput = false,
    private readonly pump?: SocketPump,
  ) {
    this.done = new Promise((resolve) => socket.once('close', () => resolve()));
    this.takesInput = new Promise((resolve) => (this.settleInput = resolve));
    socket.once('close', () => this.settleInput(false));
    const read = (d: Buffer): boolean => {
      if (!this.accepted) {
        if (d[0] !== DATA_ACCEPTED && d[0] !== DATA_ACCEPTED_WITH_INPUT) return (socket.destroy(), false);
        this.accepted = true;
        this.inputOpen = d[0] === DATA_ACCEPTED_WITH_INPUT;
        d = d.subarray(1);
        if (pump && this.inputOpen) {
          socket.off('end', ended);
          if (d.length > 0) this.leftover = d;
          this.settleInput(true);
          return false;
        }
        this.settleInput(this.inputOpen);
        if (d.length === 0) return true;
      }
      try {
        onData(d);
      } catch (e) {
        socket.destroy();
        onError(e as Error);
      }
      return true;
    };
    const ended = () => {
      if (this.accepted) onEnd();
      if (!(this.inputOpen && this.inputOutlivesOutput)) socket.destroy();
    };
    if (pump) pump.intercept(read);
    else socket.on('data', read);
    socket.on('end', ended);
    socket.on('error', (e: Error) => {
      if (this.accepted) onError(e);
    });
    socket.resume();
  }

  /**
   * Sends input (only once `takesInput` said yes); `taken` runs when the socket took it. On a connection
   * already gone it is dropped, as input on an ended call is: the session's end reports why.
   */
  write(chunk: Buffer, taken: () => void): void {
    if (!this.inputOpen || this.socket.destroyed) return taken();
    this.socket.write(chunk, () => taken());
  }

  /** The input is over: the agent's FIN (the connection closes once the relay's output has ended too). */
  endInput(): void {
    if (!this.inputOpen) return;
    this.inputOpen = false;
    if (this.socket.readableEnded) this.socket.end(() => this.socket.destroy());
    else this.socket.end();
  }

  /** With a pump, once `takesInput` said yes: the socket (not reading) for its new owner to move both ways. */
  handOver(): SplicedLink | undefined {
    if (!this.pump) return undefined;
    this.handedOver = true;
    return { socket: this.socket, pump: this.pump, leftover: this.leftover };
  }

  pause(): void {
    if (!this.handedOver) this.socket.pause();
  }

  resume(): void {
    if (!this.handedOver) this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * A session's side of its data link while the link may still be dialling: pauses and resumes it once it is
 * up, and when the session ends says what to wait for. A link that comes up after the end was never taken
 * by the relay (it takes one before any output), so it is dropped, and nothing waits for it.
 */
export class SessionData {
  private link: SessionDataLink | undefined;
  private over = false;
  private readonly inputLink: Promise<SessionDataLink | undefined>;

  constructor(linked: Promise<SessionDataLink | undefined>) {
    void linked.then((l) => {
      if (this.over) l?.destroy();
      else this.link = l;
    });
    this.inputLink = linked.then((l) => l?.takesInput.then((yes) => (yes ? l : undefined)));
  }

  /** The link when the session's input goes on it, else undefined (input on the gRPC stream); waits until known. */
  input(): Promise<SessionDataLink | undefined> {
    return this.inputLink;
  }

  pause(): void {
    this.link?.pause();
  }

  resume(): void {
    this.link?.resume();
  }

  /** The session's gRPC stream ended: settles once the link's output is all in (at once without a link). */
  finished(): Promise<void> {
    this.over = true;
    return this.link?.done ?? Promise.resolve();
  }

  /** The session failed: the link goes too. */
  destroy(): void {
    this.over = true;
    this.link?.destroy();
  }
}
