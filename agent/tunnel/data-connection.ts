// The agent's end of a session data connection (proto/data-connection.ts), once dialled
// (common/data-connection-dial.ts): hands the bytes that come back to the session. When the relay accepts with input, the session's input (exec stdin, port-forward
// bytes) goes on it too, and ending it is the agent's FIN.
import type { TLSSocket } from 'node:tls';
import { DATA_ACCEPTED, DATA_ACCEPTED_WITH_INPUT } from '../../proto/data-connection.js';

/**
 * One session's data connection once dialled. The relay's first byte says it took the connection
 * (DATA_ACCEPTED); a connection closed without it was not used (the relay had already sent the output on
 * the gRPC stream), which is not an error. After it, bytes go to `onData`, the relay's FIN to `onEnd`.
 */
export class SessionDataLink {
  private accepted = false;
  private inputOpen = false;
  private settleInput: (takesInput: boolean) => void = () => undefined;
  /** Settles when the connection is over: ended, closed, or never used. */
  readonly done: Promise<void>;
  /** Whether the relay reads the session's input here: known at its first byte (false if it never came). */
  readonly takesInput: Promise<boolean>;

  /** `inputOutlivesOutput`: the relay's FIN leaves the input open (port-forward); else it ends the link. */
  constructor(
    private readonly socket: TLSSocket,
    onData: (b: Buffer) => void,
    onEnd: () => void,
    onError: (e: Error) => void,
    private readonly inputOutlivesOutput = false,
  ) {
    this.done = new Promise((resolve) => socket.once('close', () => resolve()));
    this.takesInput = new Promise((resolve) => (this.settleInput = resolve));
    socket.once('close', () => this.settleInput(false));
    socket.on('data', (d: Buffer) => {
      if (!this.accepted) {
        if (d[0] !== DATA_ACCEPTED && d[0] !== DATA_ACCEPTED_WITH_INPUT) return void socket.destroy();
        this.accepted = true;
        this.inputOpen = d[0] === DATA_ACCEPTED_WITH_INPUT;
        this.settleInput(this.inputOpen);
        d = d.subarray(1);
        if (d.length === 0) return;
      }
      try {
        onData(d);
      } catch (e) {
        socket.destroy();
        onError(e as Error);
      }
    });
    socket.on('end', () => {
      if (this.accepted) onEnd();
      if (!(this.inputOpen && this.inputOutlivesOutput)) socket.destroy();
    });
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

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
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
