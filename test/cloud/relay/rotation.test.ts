// Credential rotation without restarts: the relay's server certificate and its client-CA bundle are
// re-read from files (grpc-js FileWatcherCertificateProvider + the relay's own CA check).
import test from 'ava';
import { connect } from 'node:tls';
import { readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createCa, issueCert } from '../../../common/pki.js';
import { fixture, once, until, type Fixture } from '../../helpers/tunnel/fixture.js';

let f: Fixture;
test.before(async () => {
  f = await fixture();
});
test.after.always(async () => {
  await f?.close();
});

function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: readFileSync(f.caFile), ALPNProtocols: ['h2'] }, () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.destroy();
    });
    s.on('error', reject);
  });
}

test.serial('a rotated server certificate is served without restarting the relay', async (t) => {
  const before = await servedSerial(f.relay.port);
  t.is(before.toLowerCase(), new X509Certificate(readFileSync(f.serverCertFile)).serialNumber.toLowerCase());
  const next = await issueCert(f.ca, { cn: 'relay-rotated', dns: ['localhost'], ips: ['127.0.0.1'], server: true });
  writeFileSync(f.serverKeyFile, next.keyPem);
  writeFileSync(f.serverCertFile, next.certPem);
  const want = new X509Certificate(next.certPem).serialNumber.toLowerCase();
  // While the two files are half-swapped a handshake may fail; keep probing until the new one is served.
  await until(async () => (await servedSerial(f.relay.port).catch(() => '')).toLowerCase() === want, 10_000, 'new certificate served');
  t.is((await servedSerial(f.relay.port)).toLowerCase(), want, 'new handshakes keep getting the rotated certificate');
});

test.serial('adding a new agent CA to the client-CA bundle admits its certificates without a restart', async (t) => {
  const newCa = await createCa('ecigw-relay-ca-2026');
  const cert = await f.clientCert('agent-1', { issuer: newCa });
  const c = f.client({ tls: f.tlsFor(cert) });
  c.start();
  t.is(((await once(c, 'error')) as { code: number }).code, 16); // UNAUTHENTICATED before the bundle changes
  writeFileSync(f.caFile, f.ca.certPem + newCa.certPem);
  await until(() => c.state === 'connected', 15_000, 'agent with the new CA connected');
  t.is(c.relay?.tenantId, 't1');
});
