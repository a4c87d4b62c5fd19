// Interactive sessions over the tunnel: exec/attach, logs and port-forward, each one gRPC stream adapted to
// Node streams with bounded, flow-controlled buffers. A session takes one of the agent's interactive slots
// (session-slots.ts) for its life, must be answered within firstByteTimeoutMs, and is cancelled when its
// local reader or the relay stalls longer than stallTimeoutMs.
import { randomUUID } from 'node:crypto';
import { Duplex, Readable, Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../common/log.js';
import { podAttributes } from '../../common/tracing.js';
import type { TunnelClient as GrpcTunnelClient } from '../../proto/load.js';
import type { ExecStart } from '../../proto/gen/ecigw/tunnel/v1/ExecStart.js';
import type { ExecOutput__Output } from '../../proto/gen/ecigw/tunnel/v1/ExecOutput.js';
import type { ExitStatus__Output } from '../../proto/gen/ecigw/tunnel/v1/ExitStatus.js';
import type { LogsRequest } from '../../proto/gen/ecigw/tunnel/v1/LogsRequest.js';
import type { LogChunk__Output } from '../../proto/gen/ecigw/tunnel/v1/LogChunk.js';
import type { PortForwardStart } from '../../proto/gen/ecigw/tunnel/v1/PortForwardStart.js';
import type { PortForwardOutput__Output } from '../../proto/gen/ecigw/tunnel/v1/PortForwardOutput.js';
import type { TunnelConnection } from './connection.js';
import { TunnelError, toTunnelError } from './errors.js';
import type { ResolvedTunnelOptions } from './options.js';
import { InteractiveSlots, ServiceSlots, SessionLimitError } from './session-slots.js';
import { SESSION_METHODS, sessionSpan } from './trace.js';
import { METADATA } from '../../proto/wire.js';
import { DATA_CHANNEL, DataFrameDecoder } from '../../proto/data-connection.js';
import { SessionData, SessionDataLink, type SplicedLink } from './data-connection.js';
import { SocketPump } from '../../common/socket-pump.js';
import { dialDataConnection, offeredDataConnection, type DataConnectionTarget } from '../../common/data-connection-dial.js';

/**
 * A session's buffers on the agent side; beyond them the relay is paused (HTTP/2 flow control or the data
 * connection's TCP window). Output (the pod's bytes) gets more: on a two-core machine 64 KiB hand-offs between
 * the processes of a session cost a context switch every 64 KiB (bench/stream).
 */
const SESSION_OUTPUT_BYTES = 256 * 1024;
const SESSION_INPUT_BYTES = 64 * 1024;

type ExitStatus = ExitStatus__Output;

export interface ExecSession {
  requestId: string;
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable;
  resize(cols: number, rows: number): void;
  /** Resolves with the exit status; rejects if the session breaks. */
  exit: Promise<ExitStatus>;
  cancel(): void;
}

export interface LogsSession {
  requestId: string;
  stream: Readable;
  cancel(): void;
}

export interface PortForwardSession {
  requestId: string;
  /** Bytes from the pod port on the read side; writes go to the pod; end() half-closes. */
  stream: Duplex;
  /**
   * Asked for with `splice`: the session's data connection, not reading, once the relay took its bytes both
   * ways there. Its owner moves them both ways and leaves `stream` unread and unwritten (a failed call still
   * errors `stream`, and destroys the connection); undefined when the bytes go through `stream` instead.
   */
  direct?: Promise<SplicedLink | undefined>;
  cancel(): void;
}

/** How a stream session ended locally: stalled (the error to report) or cancelled by its user. */
interface SessionEnd {
  stallError?: TunnelError;
  cancelled: boolean;
}

type SessionOptions = Pick<ResolvedTunnelOptions, 'connectTimeoutMs' | 'firstByteTimeoutMs' | 'stallTimeoutMs' | 'maxInteractiveSessions'>;

export class TunnelSessions {
  private readonly slots: InteractiveSlots;
  /** Service connections (networking mode `tunnel`): their own cap, as the relay counts them apart. */
  private readonly serviceSlots = new ServiceSlots();

  constructor(
    private readonly conn: TunnelConnection,
    private readonly o: SessionOptions,
    private readonly log: Logger,
  ) {
    this.slots = new InteractiveSlots(o.maxInteractiveSessions);
  }

  /** Interactive sessions open now. */
  get count(): number {
    return this.slots.count;
  }

  /**
   * Pauses/resumes a session call for backpressure and cancels it when the local reader stalls
   * longer than stallTimeoutMs (grpc-js holds the final status behind unread messages, so without
   * this a session ended by the relay would never settle while nobody reads it).
   */
  private flow(call: { pause(): unknown; resume(): unknown; cancel(): void }, kind: string, onStall: (e: TunnelError) => void, reqId: string) {
    let timer: NodeJS.Timeout | undefined;
    return {
      pause: () => {
        call.pause();
        timer ??= setTimeout(() => {
          this.log.warn({ reqId, kind }, 'session reader stalled; cancelling');
          this.conn.emit('session-stalled', kind);
          onStall(new TunnelError(grpc.status.RESOURCE_EXHAUSTED, `${kind}: the local reader did not read for ${this.o.stallTimeoutMs} ms; session ended`, reqId));
          call.cancel();
        }, this.o.stallTimeoutMs);
      },
      resume: () => {
        clearTimeout(timer);
        timer = undefined;
        call.resume();
      },
      done: () => clearTimeout(timer),
    };
  }

  /**
   * Sends one piece of input (`send` calls back once it was taken): on the call, or on the data connection
   * when the relay reads input there. If the relay does not take it within stallTimeoutMs the session is
   * cancelled.
   */
  private timedWrite(call: { cancel(): void }, send: (taken: () => void) => void, kind: string, reqId: string, onStall: (e: TunnelError) => void, done: () => void): void {
    let settled = false;
    const cb = () => {
      if (settled) return;
      settled = true;
      done();
    };
    const timer = setTimeout(() => {
      this.log.warn({ reqId, kind }, 'relay did not accept input; cancelling');
      this.conn.emit('session-stalled', kind);
      onStall(new TunnelError(grpc.status.RESOURCE_EXHAUSTED, `${kind}: the relay did not accept input for ${this.o.stallTimeoutMs} ms; session ended`, reqId));
      call.cancel();
      cb();
    }, this.o.stallTimeoutMs);
    send(() => {
      clearTimeout(timer);
      cb();
    });
  }

  /**
   * The `write` and `final` of a session's input: on the data connection when the relay takes input there
   * (known before the first write goes), else as `piece` and `end` messages on the call; every piece under
   * the stall timeout (timedWrite).
   */
  private inputSink<Req>(
    call: { write(msg: Req, cb?: () => void): boolean; cancel(): void },
    data: SessionData,
    kind: string,
    reqId: string,
    onStall: (e: TunnelError) => void,
    msg: { piece: (chunk: Buffer) => Req; end: Req },
  ): { write: (chunk: Buffer, enc: BufferEncoding, cb: () => void) => void; final: (cb: () => void) => void } {
    return {
      write: (chunk, _enc, cb) =>
        void data.input().then((link) => {
          const send = link ? (taken: () => void) => link.write(chunk, taken) : (taken: () => void) => void call.write(msg.piece(chunk), taken);
          this.timedWrite(call, send, kind, reqId, onStall, cb);
        }),
      final: (cb) =>
        void data.input().then((link) => {
          if (link) link.endInput();
          else call.write(msg.end);
          cb();
        }),
    };
  }

  /** A failed call destroys the session's stream: with the stall error, quietly after a local cancel, else with the call's error. */
  private destroyOnError(call: grpc.ClientReadableStream<unknown>, stream: Readable, flow: { done(): void }, end: SessionEnd, reqId: string): void {
    call.on('error', (e) => {
      flow.done();
      if (end.stallError) stream.destroy(end.stallError);
      else if (end.cancelled) stream.destroy();
      else stream.destroy(toTunnelError(e, reqId));
    });
  }

  /**
   * Opens a session's stream inside its client span (trace.ts): the span ends with the stream's status. With
   * it comes where the session's data connection goes when the call asked the relay for one (decided once
   * here: the relay waits for a connection only when asked).
   */
  private async open<C extends grpc.ClientDuplexStream<unknown, unknown> | grpc.ClientReadableStream<unknown>>(
    reqId: string,
    kind: keyof typeof SESSION_METHODS,
    pod: { namespace?: string; podName?: string; podUid?: string; container?: string },
    open: (client: GrpcTunnelClient, md: grpc.Metadata) => C,
  ): Promise<{ call: C; dataTarget?: DataConnectionTarget }> {
    const attrs = podAttributes({ namespace: pod.namespace, name: pod.podName, uid: pod.podUid, container: pod.container });
    const dataTarget = kind === 'logs' ? undefined : this.conn.dataTarget();
    const call = await sessionSpan(SESSION_METHODS[kind], attrs, () => this.openCall(reqId, kind, open, dataTarget));
    return { call, dataTarget };
  }

  private async openCall<C extends grpc.ClientDuplexStream<unknown, unknown> | grpc.ClientReadableStream<unknown>>(
    reqId: string,
    kind: string,
    open: (client: GrpcTunnelClient, md: grpc.Metadata) => C,
    dataTarget: DataConnectionTarget | undefined,
  ): Promise<C> {
    const client = await this.conn.ready(Date.now() + this.o.connectTimeoutMs, reqId);
    let release: () => void;
    try {
      release = kind === 'service' || kind === 'egress' ? this.serviceSlots.acquire(this.conn.relay?.limits?.maxServiceConnections) : this.slots.acquire(kind, this.conn.relay?.limits?.maxConcurrentStreams);
    } catch (e) {
      if (!(e instanceof SessionLimitError)) throw e;
      this.log.warn({ reqId, kind, open: this.slots.count }, 'interactive session refused locally: tunnel session cap reached');
      throw new TunnelError(e.code, e.message, reqId);
    }
    let call: C;
    try {
      const md = this.conn.metadata(reqId);
      if (dataTarget) {
        md.set(METADATA.dataConnection, '1');
        md.set(METADATA.dataInput, '1');
      }
      call = open(client, md);
    } catch (e) {
      release();
      throw e;
    }
    call.once('status', release);
    call.once('error', release);
    this.log.debug({ reqId }, 'session opened');
    const t = setTimeout(() => call.cancel(), this.o.firstByteTimeoutMs);
    call.once('metadata', () => clearTimeout(t));
    call.once('status', () => clearTimeout(t));
    return call;
  }

  /**
   * The session's data link (data-connection.ts), up once the relay's response headers offer one and the dial
   * to `target` (the call asked for one) succeeds; without it the output comes on the gRPC stream as it always can.
   */
  private dataLink(
    call: { once(event: string, fn: (...a: never[]) => void): unknown },
    target: DataConnectionTarget | undefined,
    reqId: string,
    h: { onData: (b: Buffer) => void; onEnd: () => void; onError: (e: Error) => void; inputOutlivesOutput?: boolean; splice?: boolean },
  ): SessionData {
    if (!target) return new SessionData(Promise.resolve(undefined));
    return new SessionData(new Promise<SessionDataLink | undefined>((resolve) => {
      call.once('metadata', (md: grpc.Metadata) => {
        const offer = offeredDataConnection(md);
        if (!offer) return resolve(undefined);
        // To be spliced, the connection reads into a pump's buffer (socket-pump.ts) from the start.
        const pump = h.splice ? new SocketPump() : undefined;
        dialDataConnection(target, offer, pump?.onread).then(
          (socket) => {
            this.conn.dataConnectionWorked();
            resolve(new SessionDataLink(socket, h.onData, h.onEnd, h.onError, h.inputOutlivesOutput, pump));
          },
          (e: Error) => {
            const pauseMs = this.conn.dataConnectionFailed();
            this.log.warn({ reqId, err: e.message, pauseMs }, 'session data connection failed; output comes on the tunnel, and sessions stop asking for one for a while');
            resolve(undefined);
          },
        );
      });
      call.once('status', () => resolve(undefined));
      call.once('error', () => resolve(undefined));
    }));
  }

  /** Opens an exec (command) or attach session. */
  async exec(start: ExecStart, o: { requestId?: string; attach?: boolean } = {}): Promise<ExecSession> {
    const reqId = o.requestId ?? randomUUID();
    const { call, dataTarget } = await this.open(reqId, o.attach ? 'attach' : 'exec', start, (c, md) =>
      (o.attach ? c.Attach(md) : c.Exec(md)),
    );
    call.write({ start });
    // _read is the stream asking for more: resume unconditionally (Node calls it again only after a
    // push). A full sibling stream pauses the call again on its next push, so each buffer overshoots
    // its high-water mark by at most one message.
    let stallError: TunnelError | undefined;
    const flow = this.flow(call, o.attach ? 'attach' : 'exec', (e) => (stallError = e), reqId);
    const resumeIfRoom = () => {
      flow.resume();
      data.resume();
    };
    const stdout = new Readable({ highWaterMark: SESSION_OUTPUT_BYTES, read: resumeIfRoom });
    const stderr = new Readable({ highWaterMark: SESSION_OUTPUT_BYTES, read: resumeIfRoom });
    // Output on the data connection, when there is one: frames of stdout/stderr, pushed without copying.
    const decoder = new DataFrameDecoder((channel, piece) => {
      if (!(channel === DATA_CHANNEL.stdout ? stdout : stderr).push(piece)) {
        flow.pause();
        data.pause();
      }
    });
    const data = this.dataLink(call, dataTarget, reqId, {
      onData: (b) => decoder.write(b),
      onEnd: () => {
        if (!decoder.atBoundary) stallError ??= new TunnelError(grpc.status.UNAVAILABLE, 'the data connection ended inside an output frame', reqId);
      },
      onError: (e) => {
        stallError ??= new TunnelError(grpc.status.UNAVAILABLE, `the session's data connection failed: ${e.message}`, reqId);
        call.cancel();
      },
    });
    let exitStatus: ExitStatus | undefined;
    const exit = new Promise<ExitStatus>((resolve, reject) => {
      call.on('data', (m: ExecOutput__Output) => {
        if (m.msg === 'stdout' && m.stdout) {
          if (!stdout.push(m.stdout)) flow.pause();
        } else if (m.msg === 'stderr' && m.stderr) {
          if (!stderr.push(m.stderr)) flow.pause();
        } else if (m.msg === 'exit' && m.exit) exitStatus = m.exit;
      });
      call.on('error', (e) => {
        flow.done();
        data.destroy();
        // The error is reported through `exit`; the output streams just end (no unheard 'error' events).
        stdout.push(null);
        stderr.push(null);
        reject(stallError ?? toTunnelError(e, reqId));
      });
      call.on('end', () => {
        flow.done();
        call.end();
        // The relay sends the exit status only after the data connection's FIN: all output is in by then.
        void data.finished().then(() => {
          stdout.push(null);
          stderr.push(null);
          if (stallError) reject(stallError);
          else if (exitStatus) resolve(exitStatus);
          else reject(new TunnelError(grpc.status.UNKNOWN, 'session ended without an exit status', reqId));
        });
      });
    });
    exit.catch(() => undefined);
    const stdin = start.stdin
      ? new Writable({
          highWaterMark: SESSION_INPUT_BYTES,
          ...this.inputSink(call, data, 'exec', reqId, (e) => (stallError ??= e), { piece: (stdin) => ({ stdin }), end: { closeStdin: true } }),
        })
      : null;
    return {
      requestId: reqId,
      stdin,
      stdout,
      stderr,
      resize: (cols, rows) => void call.write({ resize: { cols, rows } }),
      exit,
      cancel: () => call.cancel(), // `exit` rejects with CANCELLED
    };
  }

  async logs(req: LogsRequest, o: { requestId?: string } = {}): Promise<LogsSession> {
    const reqId = o.requestId ?? randomUUID();
    const { call } = await this.open(reqId, 'logs', req, (c, md) => c.Logs(req, md));
    const end: SessionEnd = { cancelled: false };
    const flow = this.flow(call, 'logs', (e) => (end.stallError = e), reqId);
    const stream = new Readable({ highWaterMark: SESSION_OUTPUT_BYTES, read: () => flow.resume() });
    call.on('data', (m: LogChunk__Output) => {
      if (!stream.push(m.data)) flow.pause();
    });
    this.destroyOnError(call, stream, flow, end, reqId);
    call.on('end', () => (flow.done(), stream.push(null)));
    stream.on('close', () => ((end.cancelled = true), call.cancel()));
    return { requestId: reqId, stream, cancel: () => ((end.cancelled = true), call.cancel()) };
  }

  /**
   * A port-forward session; with `service` one Service connection to a burst pod, with `egressOpen` one
   * burst pod's connection to an exported on-prem Service (the agent's answer to a dial; `start` unused).
   * The same bytes; the last two count against the relay's Service connection cap.
   */
  async portForward(start: PortForwardStart, o: { requestId?: string; service?: boolean; egressOpen?: { connId: string; error: string }; splice?: boolean } = {}): Promise<PortForwardSession> {
    const reqId = o.requestId ?? randomUUID();
    const kind = o.egressOpen ? 'egress' : o.service ? 'service' : 'portforward';
    const { call, dataTarget } = await this.open(reqId, kind, start, (c, md) => (o.egressOpen ? c.EgressConnection(md) : o.service ? c.ServiceConnection(md) : c.PortForward(md)));
    call.write(o.egressOpen ? { egressOpen: o.egressOpen } : { start });
    const end: SessionEnd = { cancelled: false };
    const flow = this.flow(call, kind, (e) => (end.stallError = e), reqId);
    // The pod's bytes on the data connection, when there is one; its FIN is the pod's half-close.
    const data = this.dataLink(call, dataTarget, reqId, {
      onData: (b) => {
        if (!stream.push(b)) {
          flow.pause();
          data.pause();
        }
      },
      onEnd: () => stream.push(null),
      onError: (e) => {
        end.stallError ??= new TunnelError(grpc.status.UNAVAILABLE, `the session's data connection failed: ${e.message}`, reqId);
        call.cancel();
      },
      inputOutlivesOutput: true,
      splice: o.splice,
    });
    const stream = new Duplex({
      readableHighWaterMark: SESSION_OUTPUT_BYTES,
      writableHighWaterMark: SESSION_INPUT_BYTES,
      read: () => {
        flow.resume();
        data.resume();
      },
      ...this.inputSink(call, data, kind, reqId, (e) => (end.stallError ??= e), { piece: (chunk) => ({ data: chunk }), end: { closeWrite: true } }),
    });
    call.on('data', (m: PortForwardOutput__Output) => {
      if (m.msg === 'data' && m.data) {
        if (!stream.push(m.data)) flow.pause();
      } else if (m.msg === 'closeWrite') stream.push(null);
    });
    this.destroyOnError(call, stream, flow, end, reqId);
    call.on('error', () => data.destroy());
    call.on('end', () => {
      flow.done();
      call.end();
      void data.finished().then(() => stream.push(null));
    });
    const direct = o.splice ? data.input().then((link) => link?.handOver()) : undefined;
    return { requestId: reqId, stream, direct, cancel: () => ((end.cancelled = true), call.cancel()) };
  }
}
