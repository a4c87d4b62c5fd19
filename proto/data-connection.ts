// The session data connection: a TLS connection the agent dials beside the tunnel for one session's output,
// so bulk bytes skip gRPC's message copies (bench tunnel: plain TLS copies at 0.8 of TCP, the gRPC stream at
// 0.2). The session's control (start, stdin, resize, exit status) stays on its gRPC stream.
//   agent -> relay: PREAMBLE (8 bytes) + the token from the session's response headers (32 bytes). Then
//                   nothing, unless the relay accepted with DATA_ACCEPTED_WITH_INPUT (the agent asked with the
//                   `dataInput` header): then the session's input as it is (exec stdin, port-forward bytes to
//                   the pod), the agent's FIN closing stdin / half-closing the forwarded connection.
//   relay -> agent: DATA_ACCEPTED or DATA_ACCEPTED_WITH_INPUT (1 byte) once the session took the connection, then
//                   port-forward: the pod's bytes as they are, FIN when the pod half-closes.
//                   exec/attach: frames of [channel u8 (1 stdout, 2 stderr)][length u32 BE][payload], FIN after
//                   the last output; the exit status follows on the gRPC stream only after that FIN.
import { DEFAULT_CIPHERS } from 'node:tls';

const DATA_PREAMBLE = Buffer.from('ECIGWD1\n', 'latin1');
export const DATA_TOKEN_BYTES = 32;
export const DATA_HELLO_BYTES = DATA_PREAMBLE.length + DATA_TOKEN_BYTES;
/** Largest exec frame payload either side accepts. */
export const MAX_DATA_FRAME_BYTES = 4 << 20;
export const DATA_CHANNEL = { stdout: 1, stderr: 2 } as const;
/** The relay's first byte on a connection it took for a session (a connection closed without it was not used). */
export const DATA_ACCEPTED = 1;
/** The same, and the relay reads the session's input on the connection (input on the gRPC stream is ignored). */
export const DATA_ACCEPTED_WITH_INPUT = 2;

/**
 * The `ciphers` both ends of a data connection set: Node's default list with its TLS 1.3 suites reordered,
 * AES-128-GCM first (Go's crypto/tls orders them the same on AES hardware). It is the bulk bytes' cipher, at
 * 10 rounds instead of AES-256-GCM's 14, and as strong as the 128-bit security of the P-256 keys the
 * connection is authenticated with.
 */
export const DATA_TLS_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', ...DEFAULT_CIPHERS.split(':').filter((c) => !c.startsWith('TLS_'))].join(':');

/** What the agent sends first: the preamble and the token (base64url, as carried in metadata). */
export function dataHello(token: string): Buffer {
  const raw = Buffer.from(token, 'base64url');
  if (raw.length !== DATA_TOKEN_BYTES) throw new Error(`a data token is ${DATA_TOKEN_BYTES} bytes; got ${raw.length}`);
  return Buffer.concat([DATA_PREAMBLE, raw]);
}

/** The token in a hello, or undefined when the bytes are not one. */
export function parseDataHello(hello: Buffer): string | undefined {
  if (hello.length !== DATA_HELLO_BYTES || !hello.subarray(0, DATA_PREAMBLE.length).equals(DATA_PREAMBLE)) return undefined;
  return hello.subarray(DATA_PREAMBLE.length).toString('base64url');
}

/** The 5-byte header of an exec output frame (the payload is written after it, uncopied). */
export function dataFrameHeader(channel: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(5);
  h[0] = channel;
  h.writeUInt32BE(length, 1);
  return h;
}

/**
 * Splits a stream of exec output frames into (channel, payload piece) calls without copying: a payload that
 * spans reads arrives as several pieces, in order. Throws on an unknown channel or an oversized frame.
 */
export class DataFrameDecoder {
  private header = Buffer.alloc(5);
  private headerHave = 0;
  private channel = 0;
  private left = 0;

  constructor(private readonly onPiece: (channel: number, piece: Buffer) => void) {}

  /** Whether the stream may end here (not inside a frame). */
  get atBoundary(): boolean {
    return this.headerHave === 0 && this.left === 0;
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.left === 0) {
        const take = Math.min(5 - this.headerHave, chunk.length - at);
        chunk.copy(this.header, this.headerHave, at, at + take);
        this.headerHave += take;
        at += take;
        if (this.headerHave < 5) return;
        this.headerHave = 0;
        this.channel = this.header[0];
        this.left = this.header.readUInt32BE(1);
        if (this.channel !== DATA_CHANNEL.stdout && this.channel !== DATA_CHANNEL.stderr) throw new Error(`data connection: unknown channel ${this.channel}`);
        if (this.left > MAX_DATA_FRAME_BYTES) throw new Error(`data connection: a frame of ${this.left} bytes is over the ${MAX_DATA_FRAME_BYTES}-byte limit`);
        continue;
      }
      const take = Math.min(this.left, chunk.length - at);
      this.left -= take;
      this.onPiece(this.channel, chunk.subarray(at, at + take));
      at += take;
    }
  }
}
