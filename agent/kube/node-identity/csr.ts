// The cryptography of a node client certificate, as the kubelet's TLS bootstrap does it: an ECDSA P-256
// key, a PKCS#10 request for CN=system:node:<node>, O=system:nodes, the CSR object's deterministic name,
// and the checks an issued (or stored) certificate must pass before the agent uses it. No I/O here.
import { createHash, createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { x509 } from '../../../common/x509.js';

export const NODE_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
/** Usages of a kubelet client certificate with an ECDSA key (RSA keys would add "key encipherment"). */
export const NODE_CLIENT_USAGES = ['digital signature', 'client auth'] as const;
const NODES_GROUP = 'system:nodes';
/** The smallest spec.expirationSeconds the API server accepts. */
export const MIN_EXPIRATION_SECONDS = 600;

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export const nodeUserName = (nodeName: string) => `system:node:${nodeName}`;

/** A private key as PKCS#8 PEM with its public key as SPKI DER (what certificates are matched against). */
export interface NodeKey {
  keyPem: string;
  spki: Buffer;
}

/** A certificate and its key, with the facts the agent schedules and checks by. */
export interface NodeCredential extends NodeKey {
  certPem: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** A certificate or key that cannot serve as this node's identity; `message` says why. */
export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

function pem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

export async function generateNodeKey(): Promise<NodeKey> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']));
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { keyPem: pem('PRIVATE KEY', pkcs8), spki: Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey)) };
}

/** Reads a PEM private key (PKCS#8, or SEC1 "EC PRIVATE KEY"); only P-256 ECDSA keys are accepted. */
export function parseNodeKey(keyPem: string): NodeKey {
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new CredentialError(`not a PEM private key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new CredentialError(`the key must be ECDSA P-256, not ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
  }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  return { keyPem: pem('PRIVATE KEY', pkcs8), spki: createPublicKey(key).export({ type: 'spki', format: 'der' }) };
}

/** The PKCS#10 request (PEM) for the node's client certificate, signed with its key. */
export async function nodeCsrPem(nodeName: string, key: NodeKey): Promise<string> {
  const der = Buffer.from(key.keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', key.spki, alg, true, ['verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [nodeUserName(nodeName)] }, { O: [NODES_GROUP] }],
    keys: { privateKey, publicKey },
    signingAlgorithm: alg,
  });
  return csr.toString('pem') + '\n';
}

/**
 * The CSR object's name: a digest of the key, the subject and the usages (as the kubelet's bootstrap
 * names its requests), so an agent restarted with the same pending key finds its request again instead
 * of creating another one.
 */
export function nodeCsrName(nodeName: string, key: NodeKey): string {
  const h = createHash('sha256').update(key.spki).update('\0').update(nodeUserName(nodeName)).update('\0').update(NODES_GROUP);
  for (const u of NODE_CLIENT_USAGES) h.update('\0').update(u);
  return `node-csr-${h.digest('hex').slice(0, 40)}`;
}

/** The public key (SPKI DER) of a PEM certificate request, to tell our request from someone else's. */
export function csrPublicKey(csrPem: string): Buffer {
  return Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData);
}

/**
 * Checks that `certPem` (the first certificate of the PEM text) is a client certificate of this node for
 * this key that is valid at `now`, and returns it with its facts. Anything else is a CredentialError.
 */
export function nodeCredential(nodeName: string, certPem: string, key: NodeKey, now: Date): NodeCredential {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(certPem)?.[0];
  if (!first) throw new CredentialError('no PEM certificate');
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(first);
  } catch (e) {
    throw new CredentialError(`unreadable certificate: ${(e as Error).message}`);
  }
  const cn = cert.subjectName.getField('CN');
  const orgs = cert.subjectName.getField('O');
  if (cn.length !== 1 || cn[0] !== nodeUserName(nodeName)) throw new CredentialError(`certificate is for ${JSON.stringify(cn.join(','))}, not ${nodeUserName(nodeName)}`);
  if (!orgs.includes(NODES_GROUP)) throw new CredentialError(`certificate subject lacks O=${NODES_GROUP}`);
  if (!Buffer.from(cert.publicKey.rawData).equals(key.spki)) throw new CredentialError('certificate is not for this key');
  if (now.getTime() >= cert.notAfter.getTime()) throw new CredentialError(`certificate expired at ${cert.notAfter.toISOString()}`);
  if (cert.notAfter.getTime() <= cert.notBefore.getTime()) throw new CredentialError('certificate validity window is empty');
  return { ...key, certPem: first + '\n', serial: cert.serialNumber.toLowerCase(), notBefore: cert.notBefore, notAfter: cert.notAfter };
}
