// The egress sidecar's DNS server: UDP and TCP (RFC 1035/7766 two-byte length framing) on one port, each
// query decided by answerQuery (dns-answer.ts). What it forwards goes to the upstream resolvers in order,
// UDP queries over UDP and TCP queries over TCP, with a fresh random id and socket per try, a per-try
// timeout, the answer accepted only if it echoes the question, and the client's id restored on the relayed
// bytes; all failing gives the SERVFAIL. Bounds: at most maxInFlight forwards at once (beyond: SERVFAIL at
// once), UDP answers within 512 bytes or the client's EDNS size (at most 4096; larger ones go out truncated,
// TC set, for the client to retry over TCP), TCP connections limited in number, closed when idle and when
// their unread answers pile up. A packet that does not decode (or a response sent to us) is dropped on UDP
// and closes the connection on TCP, logged at debug; nothing a client sends can throw out of a handler.
import dnsPacket, { type DecodedPacket, type Question } from 'dns-packet';
import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIP, isIPv6, type Server, type Socket } from 'node:net';
import type { Logger } from '../../common/log.js';
import { answerQuery, type ExportTable } from './dns-answer.js';

const HEADER = 12;
const UDP_PLAIN = 512;
const UDP_MAX = 4096;
/** Answers queued for a TCP client that does not read them, beyond which the connection is closed. */
const TCP_BACKLOG_BYTES = 256 * 1024;
/** Nothing is exported when a question was not decoded byte for byte (see faithful()). */
const NO_EXPORTS: ExportTable = { lookup: () => undefined };
// dns-packet exports its question codec at run time (index.js `exports.question`); @types/dns-packet omits it.
const questionCodec = (dnsPacket as unknown as { question: { decode: ((buf: Buffer, offset: number) => Question) & { bytes: number } } }).question;

interface Upstream {
  host: string;
  port: number;
}
interface Query {
  wire: Buffer;
  decoded: DecodedPacket;
  /** Bytes of the question section (name, type, class) on the wire, from offset 12. */
  questionBytes: number;
  /** Whether dns-packet's decoded question encodes back to those bytes (see faithful()). */
  faithful: boolean;
}

/**
 * Starts the DNS server on `host`:`port` (0 = any free port, the same for UDP and TCP) and resolves once both
 * listen. `upstreams` are IPs with an optional port (`100.100.2.136`, `10.0.0.2:5353`, `[fd00::1]:53`).
 */
export async function startDnsServer(o: {
  host: string;
  port: number;
  table: ExportTable;
  clusterDomain?: string;
  upstreams: string[];
  /** Per upstream try (default 2000 ms). */
  timeoutMs?: number;
  /** Forwarded queries at once (default 256). */
  maxInFlight?: number;
  /** Open TCP connections (default 128). */
  maxTcpConnections?: number;
  /** A TCP connection with nothing pending and no bytes for this long is closed (default 10 s). */
  tcpIdleMs?: number;
  log: Logger;
}): Promise<{ port: number; close(): Promise<void> }> {
  const upstreams = o.upstreams.map(parseUpstream);
  const clusterDomain = o.clusterDomain ?? 'cluster.local';
  const timeoutMs = o.timeoutMs ?? 2000;
  const maxInFlight = o.maxInFlight ?? 256;
  const tcpIdleMs = o.tcpIdleMs ?? 10_000;
  const log = o.log;
  let inFlight = 0;
  let closed = false;
  const aborts = new Set<() => void>();
  const connections = new Set<Socket>();

  /** The bytes to send back for one message, or undefined to drop it. Never rejects. */
  async function respond(wire: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    try {
      const decoded = dnsPacket.decode(wire);
      const q = decoded.questions?.length === 1 ? decoded.questions[0] : undefined;
      const query: Query = { wire, decoded, questionBytes: q ? questionLength(wire) : 0, faithful: !q || faithful(wire, q) };
      const decision = answerQuery(decoded, query.faithful ? o.table : NO_EXPORTS, clusterDomain);
      if (decision.kind === 'drop') {
        log.debug({ transport, why: decision.why }, 'dns: query dropped');
        return undefined;
      }
      if (decision.kind === 'reply') {
        if (decision.why === 'table-error') log.warn({ name: q?.name }, 'dns: the export table failed or gave a non-IPv4 address; answered SERVFAIL');
        return fit(query, ours(query, dnsPacket.encode(decision.response)), transport);
      }
      const answer = await forward(query, transport);
      return fit(query, answer ?? ours(query, dnsPacket.encode(decision.servfail)), transport);
    } catch (err) {
      log.debug({ transport, bytes: wire.length, err: String(err) }, 'dns: malformed message dropped');
      return undefined;
    }
  }

  /** The first upstream answer to the query, with the client's id; undefined when over the bound or all fail. */
  async function forward(query: Query, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (inFlight >= maxInFlight) {
      log.debug({ inFlight }, 'dns: too many forwarded queries; SERVFAIL');
      return undefined;
    }
    inFlight++;
    try {
      for (const up of upstreams) {
        if (closed) return undefined;
        const answer = await tryUpstream(up, query, transport);
        if (answer) {
          answer.writeUInt16BE(query.decoded.id ?? 0, 0);
          return answer;
        }
      }
      log.debug({ name: query.decoded.questions?.[0]?.name, upstreams: o.upstreams }, 'dns: no upstream answered; SERVFAIL');
      return undefined;
    } finally {
      inFlight--;
    }
  }

  /** One try: the query with a fresh id on a fresh socket; the matching answer, or undefined on timeout or error. */
  function tryUpstream(up: Upstream, query: Query, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const id = randomInt(0, 0x10000);
    const out = Buffer.from(query.wire);
    out.writeUInt16BE(id, 0);
    const accepts = (m: Buffer) => echoes(m, out, query.questionBytes);
    return new Promise((resolve) => {
      let done = false;
      let stop = () => {};
      const finish = (answer: Buffer | undefined, why?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        aborts.delete(abort);
        stop();
        if (!answer) log.debug({ upstream: `${up.host}:${up.port}`, transport, why }, 'dns: upstream try failed');
        resolve(answer);
      };
      const abort = () => finish(undefined, 'server closing');
      const timer = setTimeout(() => finish(undefined, 'timeout'), timeoutMs);
      aborts.add(abort);
      if (transport === 'udp') {
        const sock = createSocket(isIPv6(up.host) ? 'udp6' : 'udp4');
        stop = () => {
          try {
            sock.close();
          } catch {
            // already closed after an error
          }
        };
        sock.on('error', (err) => finish(undefined, err.message));
        // Answers from anyone else, or that do not echo the query, are ignored: the try goes on until its timeout.
        sock.on('message', (m) => accepts(m) && finish(Buffer.from(m)));
        sock.connect(up.port, up.host, () => sock.send(out, (err) => err && finish(undefined, err.message)));
      } else {
        const sock = connect({ host: up.host, port: up.port });
        stop = () => sock.destroy();
        let buf: Buffer = Buffer.alloc(0);
        sock.on('connect', () => sock.write(frame(out)));
        sock.on('error', (err) => finish(undefined, err.message));
        sock.on('close', () => finish(undefined, 'closed before answering'));
        sock.on('data', (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk]);
          if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
          const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
          finish(accepts(m) ? Buffer.from(m) : undefined, 'answer does not match the query');
        });
      }
    });
  }

  function serveTcp(socket: Socket): void {
    connections.add(socket);
    let buf: Buffer = Buffer.alloc(0);
    let pending = 0;
    let ended = false;
    const drop = (why: string) => {
      log.debug({ remote: socket.remoteAddress, why }, 'dns: TCP connection closed');
      socket.destroy();
    };
    socket.setNoDelay(true);
    socket.setTimeout(tcpIdleMs);
    socket.on('timeout', () => (pending > 0 ? socket.setTimeout(tcpIdleMs) : drop('idle')));
    socket.on('error', (err) => log.debug({ err: err.message }, 'dns: TCP connection error'));
    socket.on('close', () => connections.delete(socket));
    // A client may half-close after its queries (the listener allows half-open): answer them, then end.
    socket.on('end', () => {
      ended = true;
      if (pending === 0) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && !socket.destroyed) {
        const len = buf.readUInt16BE(0);
        if (len < HEADER) return drop(`message of ${len} bytes`);
        if (buf.length < 2 + len) return;
        const wire = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        pending++;
        void respond(wire, 'tcp').then((reply) => {
          pending--;
          if (socket.destroyed) return;
          if (!reply) return drop('malformed message');
          if (socket.writableLength > TCP_BACKLOG_BYTES) return drop('answers not read');
          socket.write(frame(reply));
          if (ended && pending === 0) socket.end();
        });
      }
    });
  }

  const { udp, tcp, port } = await bind(o.host, o.port, serveTcp);
  tcp.maxConnections = o.maxTcpConnections ?? 128;
  tcp.on('error', (err) => log.warn({ err: err.message }, 'dns: TCP listener error'));
  udp.on('error', (err) => log.warn({ err: err.message }, 'dns: UDP socket error'));
  udp.on('message', (msg, rinfo) => {
    void respond(msg, 'udp').then((reply) => {
      if (!reply || closed) return;
      try {
        udp.send(reply, rinfo.port, rinfo.address, (err) => err && log.debug({ err: err.message }, 'dns: UDP send failed'));
      } catch (err) {
        log.debug({ err: String(err) }, 'dns: UDP send failed');
      }
    });
  });
  log.info({ host: o.host, port, upstreams: o.upstreams, clusterDomain }, 'dns: listening on UDP and TCP');

  return {
    port,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const abort of [...aborts]) abort();
      for (const socket of connections) socket.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}

/** UDP and TCP on the same port; with port 0, retries when the port UDP got is taken for TCP. */
async function bind(host: string, port: number, onTcp: (s: Socket) => void): Promise<{ udp: UdpSocket; tcp: Server; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const chosen = udp.address().port;
    const tcp = createServer({ allowHalfOpen: true }, onTcp);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(chosen, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port: chosen };
    } catch (err) {
      udp.close();
      if (port !== 0 || attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

function parseUpstream(s: string): Upstream {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? (isIP(s) ? [s, s] : /^([^:]+):(\d+)$/.exec(s));
  const host = m?.[1] ?? '';
  const port = m?.[2] === undefined ? 53 : Number(m[2]);
  if (!isIP(host) || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`DNS upstream ${JSON.stringify(s)} is not an IP address with an optional port (ip, ip:port, [ipv6]:port)`);
  return { host, port };
}

/** Whether the decoded question encodes back to the bytes on the wire (a label holding a dot, bytes that are not UTF-8 or a compressed name do not). */
function faithful(wire: Buffer, q: Question): boolean {
  try {
    const encoded = dnsPacket.encode({ questions: [q] }).subarray(HEADER);
    return wire.subarray(HEADER, HEADER + encoded.length).equals(encoded);
  } catch {
    return false;
  }
}

function questionLength(wire: Buffer): number {
  questionCodec.decode(wire, HEADER);
  return questionCodec.decode.bytes;
}

/**
 * One of our own answers as sent: when the question did not decode byte for byte, the question section as the
 * client sent it replaces dns-packet's re-encoding (those answers carry no records but OPT), so clients
 * matching the question (glibc, c-ares) accept it.
 */
function ours(query: Query, response: Buffer): Buffer {
  if (query.faithful || response.readUInt16BE(4) !== 1) return response;
  const encoded = questionLength(response);
  return Buffer.concat([response.subarray(0, HEADER), query.wire.subarray(HEADER, HEADER + query.questionBytes), response.subarray(HEADER + encoded)]);
}

/** Whether `m` answers `query` (the bytes sent upstream): same id, QR set, one question with the same name (ignoring ASCII case), type and class. */
function echoes(m: Buffer, query: Buffer, questionBytes: number): boolean {
  const end = HEADER + questionBytes;
  if (questionBytes < 5 || m.length < end || m.readUInt16BE(0) !== query.readUInt16BE(0) || (m[2] & 0x80) === 0 || m.readUInt16BE(4) !== 1) return false;
  for (let i = HEADER; i < end; i++) {
    const fold = i < end - 4 ? (b: number) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b) : (b: number) => b;
    if (fold(m[i]) !== fold(query[i])) return false;
  }
  return true;
}

/** The bytes for a UDP client: as they are when they fit its size, else the header (TC set) and the question as it asked. */
function fit(query: Query, answer: Buffer, transport: 'udp' | 'tcp'): Buffer {
  if (transport === 'tcp') return answer;
  const opt = query.decoded.additionals?.find((a) => a.type === 'OPT');
  const limit = opt && 'udpPayloadSize' in opt ? Math.min(Math.max(opt.udpPayloadSize, UDP_PLAIN), UDP_MAX) : UDP_PLAIN;
  if (answer.length <= limit) return answer;
  const header = Buffer.from(answer.subarray(0, HEADER));
  header.writeUInt16BE(header.readUInt16BE(2) | dnsPacket.TRUNCATED_RESPONSE, 2);
  header.writeUInt16BE(query.questionBytes > 0 ? 1 : 0, 4);
  header.fill(0, 6, HEADER);
  return Buffer.concat([header, query.wire.subarray(HEADER, HEADER + query.questionBytes)]);
}

function frame(message: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length);
  return Buffer.concat([len, message]);
}
