// The interactive sessions bridged between a gRPC call and the provider's Node streams: exec/attach (stdin with
// backpressure, bounded resizes, stdout/stderr, the exit status), logs, and port-forward (one Duplex both ways).
// The first message must be the session's start; a malformed or unexpected one fails the session only.
import { Duplex, PassThrough } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import type { PodProvider } from '../pod-provider/provider.js';
import type { ExecInput__Output } from '../../proto/gen/ecigw/tunnel/v1/ExecInput.js';
import type { ExecOutput } from '../../proto/gen/ecigw/tunnel/v1/ExecOutput.js';
import type { PortForwardInput__Output } from '../../proto/gen/ecigw/tunnel/v1/PortForwardInput.js';
import type { PortForwardOutput } from '../../proto/gen/ecigw/tunnel/v1/PortForwardOutput.js';
import type { CallContext } from './calls.js';
import { isMalformed, malformedReason, type Malformed } from './decode.js';
import { SESSION_INPUT_BYTES, SESSION_OUTPUT_BYTES, type SessionGuard } from './session.js';
import { ValidationError, requireUid } from './validate.js';
import { DATA_CHANNEL, dataFrameHeader } from '../../proto/data-connection.js';

type ExecCall = grpc.ServerDuplexStream<ExecInput__Output, ExecOutput>;
export type PortForwardCall = grpc.ServerDuplexStream<PortForwardInput__Output, PortForwardOutput>;

export async function runExec(kind: 'exec' | 'attach', ctx: CallContext, call: ExecCall, guard: SessionGuard): Promise<void> {
  const stdinStream = new PassThrough({ highWaterMark: SESSION_INPUT_BYTES });
  const resize = new PassThrough({ objectMode: true, highWaterMark: 8 });
  /** Set once the session's stdin is known to come on its data connection: stdin on the call is ignored. */
  let stdinOnData = false;
  const start = await firstMessage<ExecInput__Output>(call, guard, 'start', (m) => {
    if (stdinOnData && (m.msg === 'stdin' || m.msg === 'closeStdin')) return;
    if (m.msg === 'stdin' && m.stdin) {
      if (!stdinStream.write(m.stdin)) {
        call.pause();
        stdinStream.once('drain', () => call.resume());
      }
    } else if (m.msg === 'resize' && m.resize) {
      // Resizes are idempotent; when the provider is behind, older ones are dropped (bounded).
      if (resize.writableLength < 8) resize.write(m.resize);
    } else if (m.msg === 'closeStdin') stdinStream.end();
  });
  call.on('end', () => {
    if (!stdinOnData) stdinStream.end();
    resize.end();
  });
  const req = start.start!;
  requireUid(req.podUid, 'start.pod_uid');
  if (kind === 'exec' && req.command.length === 0) throw new ValidationError('start.command is required for exec');
  // Output goes on the session's data connection when one came (proto/data-connection.ts), else on the call.
  const data = ctx.data ? await ctx.data : undefined;
  if (data && ctx.dataInput) {
    // stdin as it is, the agent's FIN closing it; a session without stdin drops what comes.
    stdinOnData = true;
    if (req.stdin && !stdinStream.writableEnded) data.pipe(stdinStream);
    else data.resume();
  }
  const frame = (channel: number) => (b: Buffer) => [dataFrameHeader(channel, b.length), b];
  const stdout = data ? guard.socketWritable(data, frame(DATA_CHANNEL.stdout)) : guard.writable((b) => ({ stdout: b }));
  const stderr = data ? guard.socketWritable(data, frame(DATA_CHANNEL.stderr)) : guard.writable((b) => ({ stderr: b }));
  const io = { stdin: req.stdin ? stdinStream : null, stdout, stderr, resize, signal: guard.abort.signal };
  const status = kind === 'exec' ? await ctx.provider.exec(ctx.scope, req, io) : await ctx.provider.attach(ctx.scope, req, io);
  await Promise.all([endWritable(stdout), endWritable(stderr)]);
  // The agent reports the exit only after the data connection's end: all output is delivered before it.
  if (data) await endWritable(data);
  if (guard.isClosed) return;
  await guard.send({ exit: status });
  call.end();
  ctx.log.info({ kind, code: status.code }, 'session exited');
}

export async function runLogs(ctx: CallContext, call: grpc.ServerWritableStream<unknown, unknown>, guard: SessionGuard): Promise<void> {
  const req = call.request as Parameters<PodProvider['logs']>[1] | Malformed;
  if (isMalformed(req)) throw new ValidationError(`malformed Logs request: ${malformedReason(req)}`);
  requireUid(req.podUid, 'pod_uid');
  guard.markStarted();
  const sink = guard.writable((data) => ({ data }));
  await ctx.provider.logs(ctx.scope, req, sink, guard.abort.signal);
  await endWritable(sink);
  if (!guard.isClosed) call.end();
}

export async function runPortForward(ctx: CallContext, call: PortForwardCall, guard: SessionGuard): Promise<void> {
  const { bridge, first, finish } = await byteBridge(ctx, call, guard, 'start');
  const start = first.start!;
  requireUid(start.podUid, 'start.pod_uid');
  if (!start.port || start.port > 65535) throw new ValidationError(`start.port ${start.port} is not a TCP port`);
  await ctx.provider.portForward(ctx.scope, start, bridge, guard.abort.signal);
  await finish();
}

/**
 * The agent's side of a byte session (port-forward, Service and egress connections) as one Duplex: what the
 * agent sends is its readable side, what is written goes to the agent; the half-close passes both ways. The
 * bytes to the agent go on the session's data connection when one came (its FIN is the half-close), else on
 * the call; when both sides said the agent's bytes come on the data connection too, the connection itself is
 * the bridge. Resolves once the first message (`want`) came; `finish` ends the data connection and the call
 * after the bytes are done.
 */
export async function byteBridge(
  ctx: CallContext,
  call: PortForwardCall,
  guard: SessionGuard,
  want: 'start' | 'egressOpen',
): Promise<{ bridge: Duplex; first: PortForwardInput__Output; finish: () => Promise<void> }> {
  const data = ctx.data ? await ctx.data : undefined;
  if (data && ctx.dataInput) {
    // Both ways on the data connection: it is the bridge, so the provider pipes the pod's socket straight to
    // it (no session stream between, one copy fewer per chunk). The guard reads its counters for idleness and
    // an agent that stopped reading; the call carries only the start and, at the end, the status.
    guard.watch(data);
    const first = await firstMessage<PortForwardInput__Output>(call, guard, want, () => undefined);
    const finish = async () => {
      await endWritable(data, guard.abort.signal);
      if (!guard.isClosed) call.end();
    };
    return { bridge: data, first, finish };
  }
  const toData = data && guard.socketWritable(data, (b) => [b]);
  const bridge = new Duplex({
    readableHighWaterMark: SESSION_INPUT_BYTES,
    writableHighWaterMark: SESSION_OUTPUT_BYTES,
    read: () => call.resume(),
    write: (chunk: Buffer, _e, cb) => {
      guard.activity();
      if (toData) toData.write(chunk, () => cb());
      else call.write({ data: chunk }, () => cb());
    },
    final: (cb) => {
      if (toData) void endWritable(toData).then(() => endWritable(data)).then(() => cb());
      else {
        call.write({ closeWrite: true });
        cb();
      }
    },
  });
  const first = await firstMessage<PortForwardInput__Output>(call, guard, want, (m) => {
    if (m.msg === 'data' && m.data) {
      if (!bridge.push(m.data)) call.pause();
    } else if (m.msg === 'closeWrite') bridge.push(null);
  });
  call.on('end', () => bridge.push(null));
  const finish = async () => {
    // The provider may be done before the agent has taken the pod's last bytes (they wait in the bridge for the
    // call or the data connection to drain): ending the call or the connection under them would lose them
    // and the half-close (a write after the call's end fails it before its status). So they go first.
    await endWritable(bridge, guard.abort.signal);
    if (data) await endWritable(data);
    if (!guard.isClosed) call.end();
  };
  return { bridge, first, finish };
}

/** The first message of a bidi session, or an error if it is malformed or of the wrong kind. */
function firstMessage<T extends { msg?: string }>(call: grpc.ServerDuplexStream<T, unknown>, guard: SessionGuard, want: string, onRest: (m: T) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let started = false;
    guard.abort.signal.addEventListener('abort', () => reject(new Error('session ended before start')), { once: true });
    call.on('data', (m: T) => {
      guard.activity();
      if (isMalformed(m)) return reject(new ValidationError(`malformed message: ${malformedReason(m)}`));
      if (!started) {
        started = true;
        if (m.msg !== want) return reject(new ValidationError(`first message must be "${want}", got "${m.msg ?? '(empty)'}"`));
        guard.markStarted();
        return resolve(m);
      }
      onRest(m);
    });
  });
}

/** Ends a Writable and waits until everything written has been handed on (or the stream died, or `signal` aborted). */
function endWritable(w: NodeJS.WritableStream & { writableFinished?: boolean; destroyed?: boolean }, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (w.writableFinished || w.destroyed || signal?.aborted) return resolve();
    w.once('finish', resolve);
    w.once('close', resolve);
    w.once('error', () => resolve());
    signal?.addEventListener('abort', () => resolve(), { once: true });
    w.end();
  });
}
