// The egress DNS server driven for real on loopback: Node's own resolver (c-ares) over UDP and queries framed
// by hand over TCP get exported Services; forwarding through a second instance acting as upstream (UDP
// queries over UDP, TCP over TCP) relays only matching answers, with the client's id; the table can change
// between queries.
import test from 'ava';
import dnsPacket, { type Answer } from 'dns-packet';
import { connect } from 'node:net';
import { closed, dataOf, decode, encodeQuery, fakeUpstream, frame, mapTable, resolver, starter, tcpMessages, tcpQuery, udpQuery } from './dns-helpers.js';

const start = starter();

test('an exported Service resolves over UDP with Node\'s resolver (TTL 5); AAAA gets no data at once; the same over TCP framed by hand', async (t) => {
  const a = await start({ table: mapTable({ 'shop/web': '127.77.0.5' }) });
  const r = await resolver(a.port);
  t.deepEqual(await r.resolve4('web.shop.svc.cluster.local', { ttl: true }), [{ address: '127.77.0.5', ttl: 5 }]);
  t.deepEqual(await r.resolve4('Web.Shop.svc.cluster.local.'), ['127.77.0.5']);
  const began = Date.now();
  await t.throwsAsync(r.resolve6('web.shop.svc.cluster.local'), { code: 'ENODATA' });
  t.true(Date.now() - began < 1000);

  const answer = decode(await tcpQuery(a.port, encodeQuery('web.shop.svc.cluster.local', { id: 31337 })));
  t.like(answer, { id: 31337, rcode: 'NOERROR', flag_aa: true, flag_ra: true, flag_rd: true });
  t.deepEqual(answer.answers?.map(dataOf), ['127.77.0.5']);
});

test('TCP: pipelined queries on one connection are all answered; a client that half-closes still gets its answers', async (t) => {
  const a = await start({ table: mapTable({ 'shop/web': '127.77.0.5', 'shop/db': '127.77.0.6' }) });
  const sock = connect(a.port, '127.0.0.1');
  const answers = tcpMessages(sock, 3);
  sock.end(Buffer.concat([frame(encodeQuery('web.shop.svc.cluster.local', { id: 1 })), frame(encodeQuery('db.shop.svc.cluster.local', { id: 2 })), frame(encodeQuery('db.shop.svc.cluster.local', { id: 3, type: 'AAAA' }))]));
  const got = (await answers).map(decode).sort((x, y) => (x.id ?? 0) - (y.id ?? 0));
  t.deepEqual(got.map((m) => [m.id, m.answers?.map(dataOf)]), [[1, ['127.77.0.5']], [2, ['127.77.0.6']], [3, []]]);
  await closed(sock);
});

test('forwarding: a name only the upstream instance knows resolves through the first, over UDP and over TCP, with the client\'s id', async (t) => {
  const b = await start({ table: mapTable({ 'ns2/only': '127.77.0.9' }) });
  const a = await start({ table: mapTable({ 'shop/web': '127.77.0.5' }), upstreams: [`127.0.0.1:${b.port}`] });
  const r = await resolver(a.port);
  t.deepEqual(await r.resolve4('only.ns2.svc.cluster.local'), ['127.77.0.9']);
  t.deepEqual(await r.resolve4('web.shop.svc.cluster.local'), ['127.77.0.5']);
  const viaUdp = decode(await udpQuery(a.port, encodeQuery('only.ns2.svc.cluster.local', { id: 4242 })));
  t.like(viaUdp, { id: 4242, rcode: 'NOERROR', flag_aa: true });
  const viaTcp = decode(await tcpQuery(a.port, encodeQuery('ONLY.ns2.svc.cluster.local', { id: 777 })));
  t.like(viaTcp, { id: 777, rcode: 'NOERROR' });
  t.deepEqual(viaTcp.answers?.map((x) => [x.name, dataOf(x)]), [['ONLY.ns2.svc.cluster.local', '127.77.0.9']]);
  // Neither knows it, and B has no upstream: B's SERVFAIL is relayed.
  await t.throwsAsync(r.resolve4('nobody.ns2.svc.cluster.local'), { code: 'ESERVFAIL' });
});

test('forwarding keeps the client\'s transport: a TCP-only upstream answers TCP clients; UDP clients get SERVFAIL', async (t) => {
  const up = await fakeUpstream({ udp: false, answer: (q) => ({ answers: [{ type: 'A', name: q.questions?.[0]?.name ?? '', ttl: 30, data: '192.0.2.7' }] }) });
  t.teardown(up.close);
  const a = await start({ table: mapTable({}), upstreams: [`127.0.0.1:${up.port}`], timeoutMs: 300 });
  const viaTcp = decode(await tcpQuery(a.port, encodeQuery('example.com', { id: 9 })));
  t.like(viaTcp, { id: 9, rcode: 'NOERROR' });
  t.deepEqual(viaTcp.answers?.map(dataOf), ['192.0.2.7']);
  t.like(decode(await udpQuery(a.port, encodeQuery('example.com', { id: 10 }))), { id: 10, rcode: 'SERVFAIL' });
  t.deepEqual(up.seen.map((s) => s.transport), ['tcp', 'udp']);
  t.false(up.seen.some((s) => s.id === 9), 'the upstream saw a fresh id, not the client\'s (2^-16 chance of a false failure)');
});

test('an upstream answer is taken only if it matches: wrong id or another question is ignored, the matching one relayed', async (t) => {
  const a4 = (data: string): Answer[] => [{ type: 'A', name: 'example.com', ttl: 30, data }];
  const up = await fakeUpstream({
    answer: (q) => [
      { id: ((q.id ?? 0) + 1) & 0xffff, answers: a4('198.51.100.1') },
      { questions: [{ name: 'other.example', type: 'A', class: 'IN' }], answers: a4('198.51.100.2') },
      { questions: [{ name: 'example.com', type: 'AAAA', class: 'IN' }], answers: a4('198.51.100.3') },
      { type: 'query', answers: a4('198.51.100.4') },
      { questions: [{ name: 'EXAMPLE.com', type: 'A', class: 'IN' }], answers: a4('192.0.2.1') },
    ],
  });
  t.teardown(up.close);
  const a = await start({ table: mapTable({}), upstreams: [`127.0.0.1:${up.port}`] });
  const m = decode(await udpQuery(a.port, encodeQuery('example.com', { id: 5 })));
  t.like(m, { id: 5, rcode: 'NOERROR' });
  t.deepEqual(m.answers?.map(dataOf), ['192.0.2.1']);
});

test('a question dns-packet cannot decode byte for byte (a label holding a dot, not UTF-8) is never an exported Service; answers echo it as sent', async (t) => {
  const a = await start({ table: mapTable({ 'shop/web': '127.77.0.5' }) });
  const query = (first: Buffer, id: number) => {
    const labels = [first, ...['svc', 'cluster', 'local'].map((l) => Buffer.from(l))].map((l) => Buffer.concat([Buffer.from([l.length]), l]));
    return Buffer.concat([Buffer.from([0, id, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
  };
  const dotted = query(Buffer.from('web.shop'), 8);
  t.is(dnsPacket.decode(dotted).questions?.[0]?.name, 'web.shop.svc.cluster.local', 'what the decoder makes of it');
  for (const [wire, id] of [[dotted, 8], [query(Buffer.from([0x77, 0xff, 0xfe]), 9), 9]] as const) {
    const answer = await udpQuery(a.port, wire);
    t.like(decode(answer), { id, rcode: 'SERVFAIL', flag_aa: false }); // forwarded; no upstream
    t.deepEqual(answer.subarray(12, wire.length), wire.subarray(12), 'the question as sent');
  }
});

test('the table can change at any time: the next query sees an added or removed entry', async (t) => {
  const tb = mapTable({});
  const a = await start({ table: tb });
  const r = await resolver(a.port);
  await t.throwsAsync(r.resolve4('web.shop.svc.cluster.local'), { code: 'ESERVFAIL' });
  tb.map.set('shop/web', '127.77.0.5');
  t.deepEqual(await r.resolve4('web.shop.svc.cluster.local'), ['127.77.0.5']);
  tb.map.set('shop/web', '127.77.0.8');
  t.deepEqual(await r.resolve4('web.shop.svc.cluster.local'), ['127.77.0.8']);
  tb.map.delete('shop/web');
  await t.throwsAsync(r.resolve4('web.shop.svc.cluster.local'), { code: 'ESERVFAIL' });
});

