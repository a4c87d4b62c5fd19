// ECI's exec WebSocket framing: the one definition of its bytes, shared by the relay's client (exec-ws.ts) and
// the emulator's server. Every binary message starts with a channel byte, as in Kubernetes' channel.k8s.io:
// 0 = stdin (client to server), 1 = stdout, 2 = stderr. Channel 0 and 1 are what two independent public ECI
// clients use; 2 for stderr is the same convention but unconfirmed (sources in README.md). Control messages
// (resize, close-stdin) are JSON text frames, and the exit code is the close reason; both are the emulator's
// choice, since ECI documents neither.

export const EXEC_CHANNEL = { stdin: 0, stdout: 1, stderr: 2 } as const;

export type ExecOutputChannel = typeof EXEC_CHANNEL.stdout | typeof EXEC_CHANNEL.stderr;

/** One binary message: the channel byte, then the payload (one copy). */
export function channelFrame(channel: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = channel;
  payload.copy(out, 1);
  return out;
}

/** Splits a binary message into its channel and payload (a view, no copy). An empty message has no channel. */
export function parseChannelFrame(message: Buffer): { channel: number; payload: Buffer } | undefined {
  if (message.length === 0) return undefined;
  return { channel: message[0], payload: message.subarray(1) };
}

export interface ResizeControl {
  op: 'resize';
  cols: number;
  rows: number;
}

export interface CloseStdinControl {
  op: 'close-stdin';
}

/** Text control frame asking the server to resize the terminal. */
export function resizeFrame(size: { cols: number; rows: number }): string {
  return JSON.stringify({ op: 'resize', cols: size.cols, rows: size.rows } satisfies ResizeControl);
}

/** Text control frame closing the process's stdin (EOF). */
export function closeStdinFrame(): string {
  return JSON.stringify({ op: 'close-stdin' } satisfies CloseStdinControl);
}

/** A control frame from the client, or undefined when it is not one (malformed control frames are ignored). */
export function parseControlFrame(text: string): ResizeControl | CloseStdinControl | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  if (m.op === 'close-stdin') return { op: 'close-stdin' };
  const size = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 65535;
  if (m.op === 'resize' && size(m.cols) && size(m.rows)) return { op: 'resize', cols: m.cols as number, rows: m.rows as number };
  return undefined;
}

/** The close reason the server sends when the process exits. */
export function exitReason(exitCode: number): string {
  return JSON.stringify({ exitCode });
}
