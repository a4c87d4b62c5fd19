// The node certificate's cryptography without a cluster: the PKCS#10 request (subject, key, signature),
// its deterministic CSR name, and the checks that decide whether an issued or stored certificate may be
// used as this node's identity (node name, group, key, validity), table-tested with certificates signed
// by a throw-away CA.
import test from 'ava';
import { webcrypto, randomBytes, generateKeyPairSync } from 'node:crypto';
import { x509 } from '../../../../common/x509.js';
import { createCa, type Issuer } from '../../../../common/pki.js';
import {
  generateNodeKey,
  parseNodeKey,
  nodeCsrPem,
  nodeCsrName,
  csrPublicKey,
  nodeCredential,
  CredentialError,
  type NodeKey,
} from '../../../../agent/kube/node-identity/csr.js';

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A certificate for `key`'s public key, as a signer would issue it. */
async function sign(ca: Issuer, key: NodeKey, o: { cn: string; orgs?: string[]; notBefore?: Date; notAfter?: Date }): Promise<string> {
  const publicKey = await webcrypto.subtle.importKey('spki', key.spki, alg, true, ['verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01' + randomBytes(8).toString('hex'),
    subject: [{ CN: [o.cn] }, ...(o.orgs ?? ['system:nodes']).map((org) => ({ O: [org] }))],
    issuer: ca.cert.subject,
    notBefore: o.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: o.notAfter ?? new Date(Date.now() + 3600_000),
    signingKey: ca.keys.privateKey,
    publicKey,
    signingAlgorithm: alg,
  });
  return cert.toString('pem') + '\n';
}

test('the request is a PKCS#10 for CN=system:node:<node>, O=system:nodes with the node key, validly signed', async (t) => {
  const key = await generateNodeKey();
  const pem = await nodeCsrPem('vn-1', key);
  t.regex(pem, /^-----BEGIN CERTIFICATE REQUEST-----/);
  const csr = new x509.Pkcs10CertificateRequest(pem);
  t.deepEqual(csr.subjectName.getField('CN'), ['system:node:vn-1']);
  t.deepEqual(csr.subjectName.getField('O'), ['system:nodes']);
  t.true(await csr.verify(), 'self-signature verifies');
  t.true(csrPublicKey(pem).equals(key.spki));
  t.is((csr.publicKey.algorithm as { namedCurve?: string }).namedCurve, 'P-256');
});

test('the CSR name is a digest of key and subject: the same for the same key and node, different otherwise', async (t) => {
  const a = await generateNodeKey();
  const b = await generateNodeKey();
  t.regex(nodeCsrName('vn-1', a), /^node-csr-[0-9a-f]{40}$/);
  t.is(nodeCsrName('vn-1', a), nodeCsrName('vn-1', parseNodeKey(a.keyPem)), 'a key read back from PEM names the same request');
  t.not(nodeCsrName('vn-1', a), nodeCsrName('vn-1', b));
  t.not(nodeCsrName('vn-1', a), nodeCsrName('vn-2', a));
});

test('parseNodeKey accepts P-256 keys only', (t) => {
  t.throws(() => parseNodeKey('not a key'), { instanceOf: CredentialError, message: /not a PEM private key/ });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  t.throws(() => parseNodeKey(rsa), { instanceOf: CredentialError, message: /ECDSA P-256/ });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
  t.throws(() => parseNodeKey(p384), { instanceOf: CredentialError, message: /ECDSA P-256/ });
  const sec1 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
  t.regex(parseNodeKey(sec1).keyPem, /^-----BEGIN PRIVATE KEY-----/, 'SEC1 "EC PRIVATE KEY" is read and kept as PKCS#8');
});

test('an issued certificate is used only if it names this node, its group and this key, and is valid now', async (t) => {
  const ca = await createCa('test-signer');
  const key = await generateNodeKey();
  const other = await generateNodeKey();
  const now = new Date();
  const good = await sign(ca, key, { cn: 'system:node:vn-1' });
  const cred = nodeCredential('vn-1', good, key, now);
  t.is(cred.keyPem, key.keyPem);
  t.regex(cred.serial, /^[0-9a-f]+$/);
  t.true(cred.notAfter > now);
  const cases: [string, Promise<string> | string, RegExp][] = [
    ['another node', sign(ca, key, { cn: 'system:node:vn-2' }), /is for "system:node:vn-2", not system:node:vn-1/],
    ['not a node', sign(ca, key, { cn: 'kubernetes-admin', orgs: ['system:masters'] }), /not system:node:vn-1/],
    ['without the nodes group', sign(ca, key, { cn: 'system:node:vn-1', orgs: [] }), /lacks O=system:nodes/],
    ['for another key', sign(ca, other, { cn: 'system:node:vn-1' }), /not for this key/],
    ['expired', sign(ca, key, { cn: 'system:node:vn-1', notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 60_000) }), /expired at/],
    ['no PEM at all', 'garbage', /no PEM certificate/],
    ['a broken PEM', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /unreadable certificate/],
  ];
  for (const [what, pem, message] of cases) {
    const text = await pem;
    t.throws(() => nodeCredential('vn-1', text, key, now), { instanceOf: CredentialError, message }, what);
  }
});
