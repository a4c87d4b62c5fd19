// Test helpers for the egress DNS server: queries over UDP and TCP with deadlines, Node's resolver pointed
// at a server, a hand-made upstream, and a start() that closes every server it started after the file's tests.
import test from 'ava';
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type RecordType } from 'dns-packet';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { logger } from '../../../common/log.js';
import { startDnsServer } from '../../../cloud/egress/dns-server.js';

export const log = logger('egress-dns-test');
type Decoded = DecodedPacket & { rcode: string };
type Started = Awaited<ReturnType<typeof startDnsServer>>;

export const mapTable = (entries: Record<string, string>) => {
  const map = new Map(Object.entries(entries));
  return { map, lookup: (ns: string, name: string) => map.get(`${ns}/${name}`) };
};
export const encodeQuery = (name: string, o: { id?: number; type?: RecordType; edns?: number } = {}) =>
  dnsPacket.encode({
    id: o.id ?? 0x4242,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: o.type ?? 'A', class: 'IN' }],
    additionals: o.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: o.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  });
/** An answer's data (the OPT pseudo-record has none). */
export const dataOf = (a: Answer) => ('data' in a ? a.data : undefined);
export const decode = (b: Buffer) => dnsPacket.decode(b) as Decoded;
export const frame = (m: Buffer) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

/** Rejects after `ms` (a deadline on a race, not a sleep). */
export function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** One UDP exchange from a fresh socket: the first datagram back, its bytes. */
export async function udpQuery(port: number, bytes: Buffer, ms = 3000): Promise<Buffer> {
  const sock = createSocket('udp4');
  try {
    return await deadline(
      new Promise<Buffer>((resolve, reject) => {
        sock.on('message', resolve);
        sock.on('error', reject);
        sock.send(bytes, port, '127.0.0.1');
      }),
      ms,
      'UDP answer',
    );
  } finally {
    sock.close();
  }
}

/** Reads length-prefixed messages from a TCP socket until `count` have come. */
export function tcpMessages(sock: Socket, count: number, ms = 3000): Promise<Buffer[]> {
  return deadline(
    new Promise<Buffer[]>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      const out: Buffer[] = [];
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (out.length >= count) resolve(out);
      });
      sock.on('error', reject);
      sock.on('close', () => reject(new Error(`closed after ${out.length} of ${count} answers`)));
    }),
    ms,
    'TCP answers',
  );
}

export async function tcpQuery(port: number, bytes: Buffer): Promise<Buffer> {
  const sock = connect(port, '127.0.0.1');
  try {
    const answers = tcpMessages(sock, 1);
    sock.write(frame(bytes));
    return (await answers)[0];
  } finally {
    sock.destroy();
  }
}

export const closed = (sock: Socket, ms = 3000) => deadline(new Promise<void>((r) => (sock.destroyed && !sock.connecting ? r() : sock.once('close', () => r()))), ms, 'close');

export function resolver(port: number) {
  return import('node:dns').then(({ promises }) => {
    const r = new promises.Resolver({ timeout: 4000, tries: 1 });
    r.setServers([`127.0.0.1:${port}`]);
    return r;
  });
}

/** A hand-made upstream on UDP and TCP: `answer` gives the response for a query (undefined: silence); `udp: false` ignores UDP. */
export async function fakeUpstream(o: { udp?: boolean; answer: (q: DecodedPacket) => Packet | Packet[] | undefined }) {
  const seen: { transport: 'udp' | 'tcp'; id: number }[] = [];
  const reply = (m: Buffer, transport: 'udp' | 'tcp') => {
    const q = dnsPacket.decode(m);
    seen.push({ transport, id: q.id ?? -1 });
    const p = transport === 'udp' && o.udp === false ? undefined : o.answer(q);
    return [p ?? []].flat().map((x) => dnsPacket.encode({ id: q.id, type: 'response', flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: q.questions, ...x }));
  };
  const tcp: Server = createServer((s) => {
    s.on('error', () => {});
    void tcpMessages(s, 1, 60_000).then(
      ([m]) => {
        for (const out of reply(m, 'tcp')) s.write(frame(out));
      },
      () => {},
    );
  });
  // UDP and TCP on one port: the port UDP got may be in use for TCP (an outgoing connection's), then again.
  const bound = async (): Promise<{ udp: UdpSocket; port: number }> => {
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    const port = udp.address().port;
    const ok = await new Promise<boolean>((r) => {
      tcp.once('error', () => r(false));
      tcp.listen(port, '127.0.0.1', () => r(true));
    });
    if (ok) return { udp, port };
    udp.close();
    return bound();
  };
  const { udp, port } = await bound();
  udp.on('message', (m, rinfo) => {
    for (const out of reply(m, 'udp')) udp.send(out, rinfo.port, rinfo.address);
  });
  return { port, seen, close: () => Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]) };
}
export const silent = () => fakeUpstream({ answer: () => undefined });

/** Starts a server on 127.0.0.1, any port, no upstream unless given; closed after the calling file's tests. */
export function starter() {
  const servers: Started[] = [];
  test.after.always(() => Promise.all(servers.map((s) => s.close())));
  return async (o: Partial<Parameters<typeof startDnsServer>[0]> & { table: Parameters<typeof startDnsServer>[0]['table'] }) => {
    const s = await startDnsServer({ host: '127.0.0.1', port: 0, upstreams: [], log, ...o });
    servers.push(s);
    return s;
  };
}
