// Small PKI toolkit: CAs, server and client certificates as PEM strings (ECDSA P-256).
// Used by the test cluster, the demo and the agent/relay when they self-generate certificates.
import { webcrypto, randomBytes } from 'node:crypto';
import { x509 } from './x509.js';

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}
export interface Issuer extends KeyPairPem {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface CertOptions {
  /** Subject common name. */
  cn: string;
  /** Subject organisations (Kubernetes groups for client certs). */
  orgs?: string[];
  dns?: string[];
  ips?: string[];
  uris?: string[];
  server?: boolean;
  client?: boolean;
  /** Validity window; defaults to [now - 1h, now + days]. */
  notBefore?: Date;
  notAfter?: Date;
  days?: number;
}

type CryptoKeyPair = webcrypto.CryptoKeyPair;

function subject(cn: string, orgs: string[] = []): string {
  const esc = (s: string) => s.replace(/([,+"\\<>;=])/g, '\\$1');
  return [`CN=${esc(cn)}`, ...orgs.map((o) => `O=${esc(o)}`)].join(', ');
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

function window(o: { notBefore?: Date; notAfter?: Date; days?: number }): { notBefore: Date; notAfter: Date } {
  const notBefore = o.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = o.notAfter ?? new Date(Date.now() + (o.days ?? 365) * 86400_000);
  return { notBefore, notAfter };
}

export async function createCa(cn: string, opts: { days?: number } = {}): Promise<Issuer> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: subject(cn),
    ...window(opts),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

export async function issueCert(ca: Issuer, o: CertOptions): Promise<KeyPairPem> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']));
  const usages: string[] = [];
  if (o.server) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (o.client || !o.server) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const san: { type: 'dns' | 'ip' | 'url'; value: string }[] = [
    ...(o.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(o.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
  ];
  if (san.length) extensions.push(new x509.SubjectAlternativeNameExtension(san, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    subject: subject(o.cn, o.orgs),
    issuer: ca.cert.subject,
    ...window(o),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: alg,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/** An ECDSA key pair as PEM (PKCS8 private, SPKI public), e.g. for service-account token signing. */
export async function createKeyPair(): Promise<{ privatePem: string; publicPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']));
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey)).toString('base64');
  return {
    privatePem: await keyPem(keys.privateKey),
    publicPem: `-----BEGIN PUBLIC KEY-----\n${spki.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PUBLIC KEY-----\n`,
  };
}

/** Rebuilds an Issuer from PEM files written earlier (e.g. a test cluster's CA shared between processes). */
export async function loadIssuer(certPem: string, keyPem: string): Promise<Issuer> {
  const cert = new x509.X509Certificate(certPem);
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, alg, true, ['sign']);
  // @peculiar/x509 types this as the DOM's global CryptoKey, which @types/node 20 lacks: name Node's own type.
  const publicKey = (await cert.publicKey.export(alg, ['verify'])) as webcrypto.CryptoKey;
  return { cert, keys: { privateKey, publicKey }, certPem, keyPem };
}
