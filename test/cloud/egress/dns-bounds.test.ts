// The egress DNS server's bounds, driven for real on loopback: upstreams that never answer (SERVFAIL after the
// per-try timeout, at most maxInFlight waiting), UDP answer sizes and truncation, TCP connection limits and
// idle closing, dropped garbage, close(), refused upstream addresses, and random bytes over UDP and TCP that
// never stop the server.
import test from 'ava';
import fc from 'fast-check';
import dnsPacket, { type Answer } from 'dns-packet';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { startDnsServer } from '../../../cloud/egress/dns-server.js';
import { eventually } from '../../helpers/wait.js';
import { closed, dataOf, deadline, decode, encodeQuery, fakeUpstream, frame, log, mapTable, resolver, silent, starter, tcpMessages, tcpQuery, udpQuery } from './dns-helpers.js';

const start = starter();

test('an upstream that never answers: SERVFAIL after the per-try timeout; the next upstream in order is tried after it', async (t) => {
  const dead = await silent();
  t.teardown(dead.close);
  const b = await start({ table: mapTable({ 'ns2/only': '127.77.0.9' }) });
  const alone = await start({ table: mapTable({}), upstreams: [`127.0.0.1:${dead.port}`], timeoutMs: 300 });
  const r = await resolver(alone.port);
  let began = Date.now();
  await t.throwsAsync(r.resolve4('only.ns2.svc.cluster.local'), { code: 'ESERVFAIL' });
  const waited = Date.now() - began;
  t.true(waited >= 290 && waited < 2000, `${waited} ms`);
  began = Date.now();
  t.like(decode(await tcpQuery(alone.port, encodeQuery('example.com'))), { rcode: 'SERVFAIL' });
  t.true(Date.now() - began >= 290);

  const chain = await start({ table: mapTable({}), upstreams: [`127.0.0.1:${dead.port}`, `127.0.0.1:${b.port}`], timeoutMs: 300 });
  began = Date.now();
  t.deepEqual(await (await resolver(chain.port)).resolve4('only.ns2.svc.cluster.local'), ['127.77.0.9']);
  t.true(Date.now() - began >= 290);
});

test('bounded: beyond maxInFlight forwarded queries, SERVFAIL comes at once', async (t) => {
  const dead = await silent();
  t.teardown(dead.close);
  const a = await start({ table: mapTable({ 'shop/web': '127.77.0.5' }), upstreams: [`127.0.0.1:${dead.port}`], timeoutMs: 2500, maxInFlight: 2 });
  const began = Date.now();
  const timed = (p: Promise<Buffer>) => p.then((b) => ({ ms: Date.now() - began, m: decode(b) }));
  const all = [1, 2, 3, 4, 5, 6].map((id) => timed(udpQuery(a.port, encodeQuery(`n${id}.example.com`, { id }), 5000)));
  // Our own names are still answered while the forwards wait.
  t.deepEqual(decode(await udpQuery(a.port, encodeQuery('web.shop.svc.cluster.local'))).answers?.map(dataOf), ['127.77.0.5']);
  const got = await Promise.all(all);
  t.true(got.every((g) => g.m.rcode === 'SERVFAIL'));
  const fast = got.filter((g) => g.ms < 1500).length;
  const slow = got.filter((g) => g.ms >= 2490).length;
  t.deepEqual([fast, slow], [4, 2], JSON.stringify(got.map((g) => g.ms)));
});

test('UDP answers fit the client: 512 bytes without EDNS, its EDNS size up to 4096, else TC and the question only; TCP gets it whole', async (t) => {
  const many: Answer[] = Array.from({ length: 100 }, (_, i) => ({ type: 'A', name: 'big.example', ttl: 30, data: `192.0.2.${i}` }));
  const up = await fakeUpstream({
    answer: (q) => {
      const name = q.questions?.[0]?.name;
      if (name === 'tc.example') return { flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.RECURSION_AVAILABLE, answers: many.slice(0, 3) };
      return { answers: many.map((x) => ({ ...x, name: name ?? '' })) };
    },
  });
  t.teardown(up.close);
  const a = await start({ table: mapTable({}), upstreams: [`127.0.0.1:${up.port}`] });
  const cases: [number | undefined, boolean][] = [[undefined, true], [256, true], [1232, true], [4096, false], [65000, false]];
  for (const [edns, truncated] of cases) {
    const raw = await udpQuery(a.port, encodeQuery('big.example', { id: 7, edns }));
    const m = decode(raw);
    t.is(m.flag_tc, truncated, `EDNS ${edns}`);
    t.true(raw.length <= Math.min(Math.max(edns ?? 512, 512), 4096), `EDNS ${edns}: ${raw.length} bytes`);
    t.like(m, { id: 7, rcode: 'NOERROR' });
    t.deepEqual(m.questions?.map((q) => q.name), ['big.example']);
    t.is(m.answers?.length, truncated ? 0 : 100);
  }
  t.is(decode(await tcpQuery(a.port, encodeQuery('big.example'))).answers?.length, 100);
  const tc = decode(await udpQuery(a.port, encodeQuery('tc.example')));
  t.like(tc, { flag_tc: true });
  t.is(tc.answers?.length, 3, 'the upstream\'s own truncated answer is relayed as it is');
  // c-ares retries a truncated answer over TCP, which the server forwards over TCP.
  t.is((await (await resolver(a.port)).resolve4('big.example')).length, 100);
  t.true(up.seen.some((s) => s.transport === 'tcp'));
});
test('TCP bounds: connections beyond maxTcpConnections are closed at once, idle ones after tcpIdleMs, a bad frame closes its own', async (t) => {
  const a = await start({ table: mapTable({ 'shop/web': '127.77.0.5' }), maxTcpConnections: 2, tcpIdleMs: 400 });
  const q = encodeQuery('web.shop.svc.cluster.local');
  const open = async () => {
    const s = connect(a.port, '127.0.0.1');
    s.on('error', () => {});
    const answers = tcpMessages(s, 1);
    s.write(frame(q));
    await answers;
    return s;
  };
  const began = Date.now();
  const [s1, s2] = [await open(), await open()];
  const s3 = connect(a.port, '127.0.0.1');
  s3.on('error', () => {});
  await closed(s3, 1000);
  await Promise.all([closed(s1), closed(s2)]);
  t.true(Date.now() - began >= 390, 'closed for idleness, not before');

  for (const bad of [Buffer.from([0, 0]), Buffer.from([0, 5, 1, 2, 3, 4, 5]), frame(dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'x', type: 'A' }] }))]) {
    const s = connect(a.port, '127.0.0.1');
    s.on('error', () => {});
    s.write(bad);
    await closed(s);
  }
  t.like(decode(await tcpQuery(a.port, q)), { rcode: 'NOERROR' });
});

test('a TCP connection waiting on a forward is not idle: the answer comes after tcpIdleMs', async (t) => {
  const dead = await silent();
  t.teardown(dead.close);
  const a = await start({ table: mapTable({}), upstreams: [`127.0.0.1:${dead.port}`], timeoutMs: 600, tcpIdleMs: 200 });
  const began = Date.now();
  t.like(decode(await tcpQuery(a.port, encodeQuery('example.com', { id: 12 }))), { id: 12, rcode: 'SERVFAIL' });
  t.true(Date.now() - began >= 590);
});

test('UDP: a response sent to the server and an undecodable packet are dropped without an answer; the next query is answered', async (t) => {
  const a = await start({ table: mapTable({ 'shop/web': '127.77.0.5' }) });
  const sock: UdpSocket = createSocket('udp4');
  t.teardown(() => sock.close());
  const first = deadline(new Promise<Buffer>((r) => sock.once('message', r)), 3000, 'answer');
  sock.send(dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'web.shop.svc.cluster.local', type: 'A' }] }), a.port, '127.0.0.1');
  sock.send(Buffer.from([0, 2, 1, 0, 0, 9]), a.port, '127.0.0.1');
  sock.send(encodeQuery('web.shop.svc.cluster.local', { id: 3 }), a.port, '127.0.0.1');
  t.is(decode(await first).id, 3);
});

test('close() ends forwards still waiting on an upstream at once', async (t) => {
  const dead = await silent();
  t.teardown(dead.close);
  const a = await startDnsServer({ host: '127.0.0.1', port: 0, table: mapTable({}), upstreams: [`127.0.0.1:${dead.port}`], timeoutMs: 30_000, log });
  const pending = tcpQuery(a.port, encodeQuery('example.com')).catch((e: Error) => e);
  await eventually('the forward to reach the upstream', () => dead.seen.length > 0, 3000, 10);
  const began = Date.now();
  await a.close();
  t.true(Date.now() - began < 1000);
  t.true((await pending) instanceof Error, 'the client\'s connection was closed');
});

test('upstreams must be an IP with an optional port', async (t) => {
  for (const bad of ['dns.example', '10.0.0.1:99999', '10.0.0.1:', '[::1', ':53', '']) {
    await t.throwsAsync(startDnsServer({ host: '127.0.0.1', port: 0, table: mapTable({}), upstreams: [bad], log }), { message: /not an IP address/ }, bad);
  }
  const ok = await start({ table: mapTable({}), upstreams: ['100.100.2.136', '10.0.0.2:5353', '[fd00::1]:53', 'fd00::2'] });
  t.true(ok.port > 0);
});
test('property: random bytes and mangled queries over UDP and TCP never stop the server; a good query is answered after each', async (t) => {
  const b = await start({ table: mapTable({ 'ns2/only': '127.77.0.9' }) });
  const a = await start({ table: mapTable({ 'shop/web': '127.77.0.5' }), upstreams: [`127.0.0.1:${b.port}`], timeoutMs: 500 });
  const good = encodeQuery('web.shop.svc.cluster.local', { id: 0xbeef });
  const answered = (m: Buffer) => {
    try {
      const d = decode(m);
      return d.id === 0xbeef && d.answers?.map(dataOf)[0] === '127.77.0.5';
    } catch {
      return false;
    }
  };
  const seeds = [encodeQuery('web.shop.svc.cluster.local', { id: 1 }), encodeQuery('only.ns2.svc.cluster.local', { edns: 1232 }), encodeQuery('example.com', { type: 'TXT' })];
  const mangled = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat()).map(([seed, flips, cut]) => {
    const m = Buffer.from(seed);
    for (const [at, v] of flips) m[at % m.length] = v;
    return m.subarray(0, cut % 3 === 0 ? cut % (m.length + 1) : m.length);
  });
  const payload = fc.oneof(fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u)), mangled);
  await fc.assert(
    fc.asyncProperty(payload, async (bytes) => {
      const sock = createSocket('udp4');
      try {
        const answer = deadline(new Promise<void>((r) => sock.on('message', (m) => answered(m) && r())), 3000, 'answer after garbage');
        sock.send(bytes, a.port, '127.0.0.1');
        sock.send(good, a.port, '127.0.0.1');
        await answer;
      } finally {
        sock.close();
      }
    }),
    { numRuns: 150 },
  );
  await fc.assert(
    fc.asyncProperty(fc.oneof(payload.map(frame), payload), async (bytes) => {
      const s = connect(a.port, '127.0.0.1');
      s.on('error', () => {});
      s.on('data', () => {});
      s.end(bytes);
      await closed(s);
      return answered(await tcpQuery(a.port, good));
    }),
    { numRuns: 100 },
  );
  t.pass();
});
