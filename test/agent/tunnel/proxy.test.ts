// The tunnel through a real local HTTP CONNECT proxy: explicit option and HTTPS_PROXY/NO_PROXY.
// TLS runs end to end inside the CONNECT tunnel (the relay still sees and verifies the client cert).
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { fixture, once, podIntent, type Fixture } from '../../helpers/tunnel/fixture.js';
import { startConnectProxy, type ConnectProxy } from '../../helpers/tunnel/net-peers.js';
import { proxyRoute } from '../../../agent/tunnel/proxy.js';

let f: Fixture;
let proxy: ConnectProxy;
test.before(async () => {
  f = await fixture();
  proxy = await startConnectProxy();
});
test.after.always(async () => {
  await f?.close();
  await proxy?.close();
});

test.serial('intents, status and an exec session work through the CONNECT proxy with mTLS', async (t) => {
  const cert = await f.clientCert('agent-1');
  const c = f.client({ proxy: `http://127.0.0.1:${proxy.port}`, tls: f.tlsFor(cert) });
  const before = proxy.requests.length;
  c.start();
  const hs = (await once(c, 'connected')) as { tenantId: string };
  t.is(hs.tenantId, 't1'); // identity from the client certificate: TLS was end to end
  t.true(proxy.requests.slice(before).includes(`127.0.0.1:${f.relay.port}`));
  const uid = randomUUID();
  t.true((await c.apply(podIntent(uid))).changed);
  const s = await c.exec({ podUid: uid, container: 'main', command: ['echo', 'via', 'proxy'], stdout: true });
  t.is(await text(s.stdout), 'via proxy\n');
  await c.stop();
});

test.serial('HTTPS_PROXY from the environment is used, and NO_PROXY bypasses it', async (t) => {
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });
  process.env.HTTPS_PROXY = `http://127.0.0.1:${proxy.port}`;
  delete process.env.NO_PROXY;
  const target = `127.0.0.1:${f.relay.port}`;
  t.is(proxyRoute(target, undefined).proxy, `http://127.0.0.1:${proxy.port}`);
  const cert = await f.clientCert('agent-1');
  const c = f.client({ proxy: undefined, tls: f.tlsFor(cert) });
  const before = proxy.requests.length;
  c.start();
  await once(c, 'connected');
  t.true(proxy.requests.length > before);
  await c.stop();
  process.env.NO_PROXY = '127.0.0.1';
  t.is(proxyRoute(target, undefined).proxy, '');
  t.is(proxyRoute(target, undefined).dialTarget, target);
});

test('proxy route: credentials, refusal of non-http proxies', (t) => {
  const r = proxyRoute('relay.example.com:443', 'http://u%40x:p%3Aw@proxy.local:3128');
  t.is(r.dialTarget, 'proxy.local:3128');
  t.is(r.options['grpc.http_connect_target'], 'dns:relay.example.com:443');
  t.is(r.options['grpc.http_connect_creds'], 'u@x:p:w');
  t.is(r.options['grpc.ssl_target_name_override'], 'relay.example.com');
  t.throws(() => proxyRoute('relay:443', 'socks5://p:1080'), { message: /only http:\/\/ CONNECT proxies/ });
  t.is(proxyRoute('relay:443', null).dialTarget, 'relay:443');
});
