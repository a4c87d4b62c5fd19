// The relay's outbound pieces, pure: pod credentials (genuine, bound, bounded; fuzzed), the peer address
// of a call, the agent's exports checked, and the registry deciding what a pod's namespace may reach.
import test from 'ava';
import fc from 'fast-check';
import { Duplex, PassThrough } from 'node:stream';
import { EgressTokens, MAX_TOKEN_CHARS, MIN_KEY_BYTES } from '../../../cloud/relay/egress/token.js';
import { peerAddress } from '../../../cloud/relay/egress/server.js';
import { MAX_EXPORTS, validateExports } from '../../../cloud/relay/egress/tunnel-side.js';
import { EgressRegistry, EgressRefused } from '../../../cloud/relay/egress/registry.js';
import type { EgressDial } from '../../../proto/gen/ecigw/tunnel/v1/EgressDial.js';

const key = Buffer.alloc(32, 7);
const claims = { tenantId: 'acme', clusterId: 'dc1', uid: '0b1c2d3e-aaaa-bbbb-cccc-000000000001', namespace: 'shop' };

test('a minted credential verifies to its claims; another key, an edit or garbage does not', (t) => {
  const tokens = new EgressTokens(key);
  const tok = tokens.mint(claims);
  t.deepEqual(tokens.verify(tok), claims);
  t.is(new EgressTokens(Buffer.alloc(32, 8)).verify(tok), undefined);
  const [p, c, m] = tok.split('.');
  const other = Buffer.from(JSON.stringify(['acme', 'dc1', claims.uid, 'kube-system'])).toString('base64url');
  t.is(tokens.verify(`${p}.${other}.${m}`), undefined, 'claims swapped under the same MAC');
  t.is(tokens.verify(`${p}.${c}.${m.slice(0, -2)}`), undefined);
  t.is(tokens.verify('x'.repeat(MAX_TOKEN_CHARS + 1)), undefined);
  t.throws(() => new EgressTokens(Buffer.alloc(MIN_KEY_BYTES - 1)));
  fc.assert(fc.property(fc.string({ maxLength: 2000 }), (s) => tokens.verify(s) === undefined || s === tok));
});

test('peerAddress reads grpc-js peers', (t) => {
  t.is(peerAddress('127.10.0.2:40109'), '127.10.0.2');
  t.is(peerAddress('ipv4:10.0.0.5:1'), '10.0.0.5');
  t.is(peerAddress('[::ffff:10.0.0.5]:443'), '10.0.0.5');
  t.is(peerAddress('[2001:db8::1]:5'), '2001:db8::1');
});

test('validateExports refuses what is not a Service reference', (t) => {
  const ok = { namespace: 'shop', name: 'db', ports: [{ name: 'http', port: 80 }], toNamespaces: ['shop'], allNamespaces: false };
  t.is(validateExports({ exports: [ok] }).length, 1);
  for (const bad of [{ ...ok, name: 'Db' }, { ...ok, ports: [] }, { ...ok, ports: [{ name: '', port: 70000 }] }, { ...ok, toNamespaces: ['a b'] }]) {
    t.throws(() => validateExports({ exports: [bad] }), undefined, JSON.stringify(bad));
  }
  t.throws(() => validateExports({ exports: Array.from({ length: MAX_EXPORTS + 1 }, () => ok) }));
});

test('registry: only exported Services, to the listed namespaces and ports; dials answered by the agent', async (t) => {
  const r = new EgressRegistry({ maxPending: 2, dialTimeoutMs: 200 });
  const dials: EgressDial[] = [];
  const link = { dial: (d: EgressDial) => (dials.push(d), true) };
  const seen: string[][] = [];
  r.watch('s', 'shop', (l) => seen.push(l.map((e) => `${e.namespace}/${e.name}`)));
  const detach = r.attach('s', link);
  r.update('s', link, [{ namespace: 'shop', name: 'db', ports: [{ name: 'http', port: 80 }], toNamespaces: ['shop'], allNamespaces: false }, { namespace: 'infra', name: 'cache', ports: [{ name: '', port: 6379 }], toNamespaces: [], allNamespaces: true }]);
  t.deepEqual(seen.at(-1), ['shop/db', 'infra/cache']);
  t.deepEqual(r.visible('s', 'web').map((e) => e.name), ['cache']);
  t.regex(r.refusal('s', 'web', 'shop', 'db', 80) ?? '', /not exported/);
  t.regex(r.refusal('s', 'shop', 'shop', 'db', 81) ?? '', /no exported port/);
  t.is(r.refusal('other-scope', 'shop', 'shop', 'db', 80) !== undefined, true, 'another scope sees nothing');
  await t.throwsAsync(r.dial('s', { podUid: 'u', podNamespace: 'web', namespace: 'shop', name: 'db', port: 80 }, new AbortController().signal), { instanceOf: EgressRefused });
  t.is(dials.length, 0, 'a refused dial never reaches the agent');

  const pending = r.dial('s', { podUid: 'u', podNamespace: 'shop', namespace: 'shop', name: 'db', port: 80 }, new AbortController().signal);
  await new Promise((res) => setImmediate(res));
  t.is(dials.length, 1);
  t.false(await r.answer('other-scope', dials[0].connId ?? '', '', new PassThrough()), 'another scope cannot answer');
  const bridge: Duplex = new PassThrough();
  const answered = r.answer('s', dials[0].connId ?? '', '', bridge);
  const got = await pending;
  t.is(got.bridge, bridge);
  got.release();
  t.true(await answered);
  const late = r.dial('s', { podUid: 'u', podNamespace: 'shop', namespace: 'shop', name: 'db', port: 80 }, new AbortController().signal);
  await t.throwsAsync(late, { message: /did not answer within 200 ms/ });
  detach();
  t.deepEqual(seen.at(-1), [], 'the agent gone: nothing visible');
});
