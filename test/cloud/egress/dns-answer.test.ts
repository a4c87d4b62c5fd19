// The sidecar's pure DNS decisions: exported Service names answered (A: the virtual IP, TTL 5; other types:
// no data), every other name forwarded with its SERVFAIL ready, unsupported or malformed queries answered as
// a resolver would (NOTIMP, FORMERR), responses dropped; id, opcode and RD kept, RA set, AA only on our answers.
import test from 'ava';
import fc from 'fast-check';
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type Question, type RecordType } from 'dns-packet';
import { answerQuery } from '../../../cloud/egress/dns-answer.js';

const table = (entries: Record<string, string> = { 'shop/web': '127.77.0.5' }) => {
  const map = new Map(Object.entries(entries));
  const seen: string[] = [];
  return { map, seen, lookup: (ns: string, name: string) => (seen.push(`${ns}/${name}`), map.get(`${ns}/${name}`)) };
};
/** A query as the server sees it: encoded, then decoded by dns-packet. */
const query = (o: { name?: string; type?: RecordType; questions?: Question[]; id?: number; rd?: boolean; opcode?: number; qr?: boolean; edns?: boolean } = {}): DecodedPacket =>
  dnsPacket.decode(
    dnsPacket.encode({
      id: o.id ?? 0x1234,
      type: o.qr ? 'response' : 'query',
      flags: ((o.opcode ?? 0) << 11) | (o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED),
      questions: o.questions ?? [{ name: o.name ?? 'web.shop.svc.cluster.local', type: o.type ?? 'A', class: 'IN' }],
      additionals: o.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
    }),
  );
const dataOf = (a: Answer) => ('data' in a ? a.data : undefined);
/** The response as the client decodes it. */
const wire = (p: Packet) => dnsPacket.decode(dnsPacket.encode(p)) as DecodedPacket & { rcode: string; opcode: string };

test('an exported Service: A gets one A record with the virtual IP, TTL 5, authoritative, id and RD kept, RA set', (t) => {
  const d = answerQuery(query({ id: 777 }), table());
  if (d.kind !== 'reply') return t.fail(d.kind);
  t.is(d.why, 'service');
  const r = wire(d.response);
  t.like(r, { id: 777, type: 'response', rcode: 'NOERROR', opcode: 'QUERY', flag_aa: true, flag_rd: true, flag_ra: true, flag_tc: false });
  t.deepEqual(r.questions, [{ name: 'web.shop.svc.cluster.local', type: 'A', class: 'IN' }]);
  t.deepEqual(r.answers, [{ name: 'web.shop.svc.cluster.local', type: 'A', class: 'IN', ttl: 5, flush: false, data: '127.77.0.5' }]);
  const noRd = answerQuery(query({ rd: false }), table());
  t.is(noRd.kind === 'reply' && wire(noRd.response).flag_rd, false);
});

test('names match case-insensitively, with or without the trailing dot, in any cluster domain given; the question keeps its case', (t) => {
  const cases: [string, string | undefined, string][] = [
    ['WEB.Shop.SVC.Cluster.LOCAL', undefined, 'shop/web'],
    ['web.shop.svc.cluster.local.', undefined, 'shop/web'],
    ['web.shop.svc.corp.example', 'corp.example', 'shop/web'],
    ['web.shop.svc.Corp.Example', 'CORP.example.', 'shop/web'],
    ['web.shop.svc.cluster.local', 'cluster.local.', 'shop/web'],
  ];
  for (const [name, domain, key] of cases) {
    const tb = table();
    // The trailing dot never survives dns-packet's codec; give it to the decision as a decoder might.
    const q = { ...query({ name }), questions: [{ name, type: 'A' as const, class: 'IN' as const }] };
    const d = answerQuery(q, tb, domain);
    t.is(d.kind, 'reply', name);
    t.deepEqual(tb.seen, [key], name);
    if (d.kind === 'reply') t.is(d.response.answers?.[0]?.name, name);
  }
});

test('AAAA and every other type for an exported Service: NOERROR with no answers, authoritative (clients do not wait for IPv6)', (t) => {
  for (const type of ['AAAA', 'MX', 'TXT', 'SRV', 'CNAME', 'NS', 'SOA', 'PTR'] as RecordType[]) {
    const d = answerQuery(query({ type }), table());
    if (d.kind !== 'reply') return t.fail(type);
    const r = wire(d.response);
    t.like(r, { rcode: 'NOERROR', flag_aa: true, flag_ra: true }, type);
    t.deepEqual(r.answers, [], type);
    t.is(r.questions?.[0]?.type, type);
  }
});

test('every other name is forwarded, with a SERVFAIL (id, question and RD kept, not authoritative) for when no upstream answers', (t) => {
  const names = [
    'api.shop.svc.cluster.local', // not exported
    'web.other.svc.cluster.local',
    'web.shop.svc.cluster.local.shop.svc.cluster.local', // the search path's first try for "web.shop.svc.cluster.local"
    'web.shop.svc.other.local',
    'web.shop.pod.cluster.local',
    'x.web.shop.svc.cluster.local',
    '_http._tcp.web.shop.svc.cluster.local',
    'shop.svc.cluster.local',
    'svc.cluster.local',
    'cluster.local',
    'example.com',
    '.',
    'we\u212A.shop.svc.cluster.local', // KELVIN SIGN lower-cases to "k" in Unicode, not in DNS
    'web.shop.svc.cluster.loca\u212A',
    'web_.shop.svc.cluster.local',
    '-web.shop.svc.cluster.local',
  ];
  const tb = table({ 'shop/web': '127.77.0.5', 'shop/wek': '127.77.0.6' });
  for (const name of names) {
    const d = answerQuery(query({ name, id: 99 }), tb);
    if (d.kind !== 'forward') return t.fail(`${name}: ${d.kind}`);
    const r = wire(d.servfail);
    t.like(r, { id: 99, rcode: 'SERVFAIL', flag_aa: false, flag_rd: true, flag_ra: true }, name);
    t.is(r.questions?.length, 1);
  }
  t.is(answerQuery(query({ name: 'web.shop.svc.cluster.local' }), tb, 'corp.example').kind, 'forward');
  t.is(answerQuery(query({ questions: [{ name: 'web.shop.svc.cluster.local', type: 'A', class: 'CH' }] }), tb).kind, 'forward');
  t.is(answerQuery(query({ questions: [{ name: 'web.shop.svc.cluster.local', type: 'A', class: 'ANY' }] }), tb).kind, 'reply');
});

test('not a plain query: other opcodes NOTIMP (opcode echoed), not exactly one question FORMERR, a response (QR) dropped', (t) => {
  for (const [opcode, name] of [[1, 'IQUERY'], [2, 'STATUS'], [4, 'NOTIFY'], [5, 'UPDATE'], [15, 'OPCODE_15']] as const) {
    const d = answerQuery(query({ opcode, id: 5 }), table());
    if (d.kind !== 'reply') return t.fail(name);
    t.is(d.why, 'notimp');
    t.like(wire(d.response), { id: 5, rcode: 'NOTIMP', opcode: name, flag_aa: false, flag_ra: true, flag_rd: true });
  }
  const two = [{ name: 'web.shop.svc.cluster.local', type: 'A' as const }, { name: 'example.com', type: 'A' as const }];
  for (const questions of [[], two]) {
    const d = answerQuery(query({ questions, id: 6 }), table());
    if (d.kind !== 'reply') return t.fail(String(questions.length));
    t.is(d.why, 'formerr');
    t.like(wire(d.response), { id: 6, rcode: 'FORMERR', flag_aa: false, questions: [], answers: [] });
  }
  t.like(answerQuery(query({ qr: true }), table()), { kind: 'drop' });
  t.like(answerQuery(query({ qr: true, opcode: 4, questions: [] }), table()), { kind: 'drop' });
});

test('EDNS: a query with an OPT record gets one back (1232 bytes), one without gets none', (t) => {
  for (const edns of [true, false]) {
    for (const q of [query({ edns }), query({ edns, name: 'example.com' }), query({ edns, opcode: 4 })]) {
      const d = answerQuery(q, table());
      const p = d.kind === 'reply' ? d.response : d.kind === 'forward' ? d.servfail : undefined;
      if (!p) return t.fail();
      const opt = wire(p).additionals ?? [];
      t.deepEqual(opt.map((a) => a.type === 'OPT' && a.udpPayloadSize), edns ? [1232] : []);
    }
  }
});

test('a broken table entry (not IPv4) or a throwing table gives SERVFAIL, never an exception', (t) => {
  const throwing = { lookup: () => { throw new Error('boom'); } };
  for (const tb of [table({ 'shop/web': '::1' }), table({ 'shop/web': 'web' }), table({ 'shop/web': '' }), throwing]) {
    const d = answerQuery(query(), tb);
    if (d.kind !== 'reply') return t.fail(d.kind);
    t.is(d.why, 'table-error');
    t.like(wire(d.response), { rcode: 'SERVFAIL', answers: [] });
  }
});

test('the table is read on every query: an added entry is answered, a removed one forwarded', (t) => {
  const tb = table({});
  t.is(answerQuery(query(), tb).kind, 'forward');
  tb.map.set('shop/web', '127.77.0.9');
  const d = answerQuery(query(), tb);
  t.is(d.kind === 'reply' && d.response.answers?.map(dataOf)[0], '127.77.0.9');
  tb.map.delete('shop/web');
  t.is(answerQuery(query(), tb).kind, 'forward');
});

test('property: any decodable query gets a decision whose packet encodes, and the answer only for the exported name', (t) => {
  const label = fc.oneof(fc.constantFrom('web', 'WEB', 'shop', 'svc', 'cluster', 'local', 'x'), fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/), fc.string({ maxLength: 8 }));
  const types: RecordType[] = ['A', 'AAAA', 'TXT', 'MX', 'OPT', 'CNAME'];
  fc.assert(
    fc.property(fc.array(label, { minLength: 1, maxLength: 7 }), fc.constantFrom(...types), fc.integer({ min: 0, max: 15 }), fc.boolean(), (labels, type, opcode, qr) => {
      const name = labels.filter((l) => l !== '' && !l.includes('.')).join('.') || 'x';
      let q: DecodedPacket;
      try {
        q = query({ name, type, opcode, qr });
      } catch {
        return; // not encodable (a label over 63 bytes): never reaches the server as such
      }
      const d = answerQuery(q, table());
      if (d.kind === 'drop') return qr;
      const p = d.kind === 'reply' ? d.response : d.servfail;
      const r = wire(p);
      const ours = !qr && opcode === 0 && /^web\.shop\.svc\.cluster\.local$/i.test(name);
      return r.id === 0x1234 && (d.kind === 'reply' && d.why === 'service') === ours && (r.answers?.length === 1) === (ours && type === 'A');
    }),
    { numRuns: 500 },
  );
  t.pass();
});
