// The egress sidecar's DNS decisions, pure: for one decoded query, answer it ourselves (an exported
// Service's name `<name>.<ns>.svc.<clusterDomain>`: its virtual IP for A, no data for every other type;
// an unsupported opcode: NOTIMP; not exactly one question: FORMERR), forward it unchanged to the upstream
// resolvers (every other name, with the SERVFAIL to send if they all fail), or drop it (QR set: a response
// is not a query; resolvers drop those, and answering one would let two servers bounce errors forever).
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type Question } from 'dns-packet';
import { isIPv4 } from 'node:net';

/** The exported Services: (namespace, name) → the virtual IPv4 address the sidecar's proxy listens on. */
export interface ExportTable {
  lookup(namespace: string, name: string): string | undefined;
}

const TTL = 5;
/** What our own answers advertise when the query has EDNS (RFC 6891): the DNS flag day 2020 size. */
const OUR_UDP_SIZE = 1232;
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NOTIMP: 4 } as const;
const OPCODE_QUERY = 0;
/** One DNS label of a Service or namespace name, in ASCII only (so no Unicode case folding can match). */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

type Reply = { kind: 'reply'; why: 'service' | 'formerr' | 'notimp' | 'table-error'; response: Packet };
type Decision = Reply | { kind: 'forward'; servfail: Packet } | { kind: 'drop'; why: string };

/**
 * Decides what the sidecar does with one decoded query. `table` is read on every call, so a changed table
 * is seen by the next query. The responses keep the query's id, opcode and RD flag and set RA; only the
 * answers about exported Services are authoritative (AA).
 */
export function answerQuery(query: DecodedPacket, table: ExportTable, clusterDomain = 'cluster.local'): Decision {
  if (query.flag_qr) return { kind: 'drop', why: 'QR set (a response, not a query)' };
  const flags = query.flags ?? 0;
  const opcode = (flags >> 11) & 0xf;
  const questions = query.questions ?? [];
  const reply = (why: Reply['why'], rcode: number, qs: Question[], answers: Answer[] = [], aa = false): Reply => ({
    kind: 'reply',
    why,
    response: response(query, opcode, rcode, aa, qs, answers),
  });
  if (opcode !== OPCODE_QUERY) return reply('notimp', RCODE.NOTIMP, questions.length === 1 ? questions : []);
  if (questions.length !== 1) return reply('formerr', RCODE.FORMERR, []);

  const q = questions[0];
  const service = serviceOf(q, clusterDomain);
  if (!service) return { kind: 'forward', servfail: response(query, opcode, RCODE.SERVFAIL, false, questions, []) };
  let ip: string | undefined;
  try {
    ip = table.lookup(service.namespace, service.name);
  } catch {
    return reply('table-error', RCODE.SERVFAIL, questions);
  }
  if (ip === undefined) return { kind: 'forward', servfail: response(query, opcode, RCODE.SERVFAIL, false, questions, []) };
  if (!isIPv4(ip)) return reply('table-error', RCODE.SERVFAIL, questions);
  if (q.type !== 'A') return reply('service', RCODE.NOERROR, questions, [], true);
  return reply('service', RCODE.NOERROR, questions, [{ type: 'A', class: 'IN', name: q.name, ttl: TTL, data: ip }], true);
}

/** The (namespace, name) a question asks about, when it is `<name>.<ns>.svc.<clusterDomain>` in class IN or ANY. */
function serviceOf(q: Question, clusterDomain: string): { namespace: string; name: string } | undefined {
  if (q.class !== undefined && q.class !== 'IN' && q.class !== 'ANY') return undefined;
  const labels = trimDot(q.name).split('.');
  const domain = trimDot(clusterDomain).split('.');
  if (labels.length !== 3 + domain.length) return undefined;
  const [name, namespace, svc, ...rest] = labels;
  if (!LABEL.test(name) || !LABEL.test(namespace) || asciiLower(svc) !== 'svc') return undefined;
  if (rest.some((label, i) => asciiLower(label) !== asciiLower(domain[i]))) return undefined;
  return { namespace: asciiLower(namespace), name: asciiLower(name) };
}

function response(query: DecodedPacket, opcode: number, rcode: number, aa: boolean, questions: Question[], answers: Answer[]): Packet {
  const flags =
    (opcode << 11) |
    (aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
    (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) |
    dnsPacket.RECURSION_AVAILABLE |
    rcode;
  const edns = (query.additionals ?? []).some((a) => a.type === 'OPT');
  const additionals: Answer[] = edns ? [{ type: 'OPT', name: '.', udpPayloadSize: OUR_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [];
  return { id: query.id, type: 'response', flags, questions, answers, authorities: [], additionals };
}

function trimDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
