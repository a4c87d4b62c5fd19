// Request authentication the way the Alibaba Cloud POP gateway does it: ACS3-HMAC-SHA256 (the SDK default)
// and the legacy RPC HMAC-SHA1 signature, timestamp skew and signature-nonce replay checks, and temporary (STS)
// keys, which need their security token and stop working when they expire.
// Pure verification functions plus a small NonceCache; no HTTP here.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { EciError } from './errors.js';

interface SignedRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A permanent key's secret, or a temporary key (secret, security token, expiry in ms since the epoch). */
type KeyRecord = string | { secret: string; securityToken: string; expiresAt: number };
export type SecretLookup = (accessKeyId: string) => KeyRecord | undefined;

interface AuthCheckOptions {
  secretFor: SecretLookup;
  nonces: NonceCache;
  maxSkewMs: number;
  now?: number;
}

interface AuthResult {
  accessKeyId: string;
  scheme: 'ACS3-HMAC-SHA256' | 'HMAC-SHA1';
}

const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function header(h: SignedRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Canonical query for ACS3: keys sorted (JS default), `key=rfc3986(value)` joined by `&`. */
function acs3CanonicalQuery(query: URLSearchParams): string {
  const last = new Map<string, string>();
  for (const [k, v] of query) last.set(k, v);
  return [...last.keys()].sort().map((k) => `${k}=${rfc3986(last.get(k)!)}`).join('&');
}

function acs3Signature(req: SignedRequest, signedHeaders: string[], secret: string): string {
  const canonicalHeaders = signedHeaders.map((n) => `${n}:${(header(req.headers, n) ?? '').trim()}\n`).join('');
  const canonical = [
    req.method.toUpperCase(),
    req.pathname,
    acs3CanonicalQuery(req.query),
    canonicalHeaders,
    signedHeaders.join(';'),
    header(req.headers, 'x-acs-content-sha256') ?? sha256Hex(req.body),
  ].join('\n');
  const stringToSign = `ACS3-HMAC-SHA256\n${sha256Hex(canonical)}`;
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

function v2Signature(method: string, query: URLSearchParams, secret: string): string {
  const last = new Map<string, string>();
  for (const [k, v] of query) if (k !== 'Signature') last.set(k, v);
  const canonical = [...last.keys()].sort().map((k) => `${rfc3986(k)}=${rfc3986(last.get(k)!)}`).join('&');
  const stringToSign = `${method.toUpperCase()}&${rfc3986('/')}&${rfc3986(canonical)}`;
  return createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64');
}

/** Remembers nonces for the skew window so a replayed request is refused. */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly ttlMs: number) {}
  /** Returns false if the nonce was already used within the window. */
  claim(nonce: string, now = Date.now()): boolean {
    if (this.seen.size > 10_000) this.sweep(now);
    const exp = this.seen.get(nonce);
    if (exp !== undefined && exp > now) return false;
    this.seen.set(nonce, now + this.ttlMs);
    return true;
  }
  sweep(now = Date.now()): void {
    for (const [n, exp] of this.seen) if (exp <= now) this.seen.delete(n);
  }
}

function checkTimestamp(raw: string | undefined, name: string, maxSkewMs: number, now: number): void {
  if (!raw) throw new EciError(400, 'MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new EciError(400, 'InvalidTimeStamp.Format', `Specified time stamp or date value is not well formatted: ${raw}`);
  if (Math.abs(now - t) > maxSkewMs) throw new EciError(400, 'InvalidTimeStamp.Expired', `Specified time stamp or date value is expired: ${raw}`);
}

function checkNonce(nonce: string | undefined, nonces: NonceCache, now: number): void {
  if (!nonce) throw new EciError(400, 'MissingSignatureNonce', 'The input parameter "SignatureNonce" that is mandatory for processing this request is not supplied.');
  if (!nonces.claim(nonce, now)) throw new EciError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
}

/** A temporary key needs its own security token (signed, for ACS3) and works only until it expires. */
function checkSecurityToken(key: KeyRecord, token: string | undefined, now: number): void {
  if (typeof key === 'string') return;
  if (token === undefined || !safeEqual(token, key.securityToken))
    throw new EciError(400, 'InvalidSecurityToken.MismatchWithAccessKey', 'Specified SecurityToken mismatch with the AccessKey.');
  if (now >= key.expiresAt) throw new EciError(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.');
}

const secretOf = (key: KeyRecord): string => (typeof key === 'string' ? key : key.secret);

const ACS3 = /^ACS3-HMAC-SHA256\s+Credential=([^,]*),\s*SignedHeaders=([^,]*),\s*Signature=([0-9a-fA-F]+)\s*$/;

/** Verifies a request; throws EciError with the gateway's codes on any failure. */
export function authenticate(req: SignedRequest, opts: AuthCheckOptions): AuthResult {
  const now = opts.now ?? Date.now();
  const authorization = header(req.headers, 'authorization');
  if (authorization !== undefined) {
    const m = ACS3.exec(authorization);
    if (!m) throw new EciError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
    const [, accessKeyId, signedList, signature] = m;
    const signedHeaders = signedList.split(';').filter(Boolean);
    if (!signedHeaders.includes('x-acs-date') || !signedHeaders.includes('x-acs-signature-nonce') || !signedHeaders.includes('host'))
      throw new EciError(400, 'IncompleteSignature', 'SignedHeaders must include host, x-acs-date and x-acs-signature-nonce.');
    const key = opts.secretFor(accessKeyId);
    if (key === undefined) throw new EciError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    const secret = secretOf(key);
    const declaredBodyHash = header(req.headers, 'x-acs-content-sha256');
    if (declaredBodyHash !== undefined && declaredBodyHash !== sha256Hex(req.body))
      throw new EciError(400, 'SignatureDoesNotMatch', 'x-acs-content-sha256 does not match the request body.');
    if (!safeEqual(acs3Signature(req, signedHeaders, secret), signature.toLowerCase()))
      throw new EciError(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
    checkSecurityToken(key, signedHeaders.includes('x-acs-security-token') ? header(req.headers, 'x-acs-security-token') : undefined, now);
    checkTimestamp(header(req.headers, 'x-acs-date'), 'x-acs-date', opts.maxSkewMs, now);
    checkNonce(header(req.headers, 'x-acs-signature-nonce'), opts.nonces, now);
    return { accessKeyId, scheme: 'ACS3-HMAC-SHA256' };
  }
  const signature = req.query.get('Signature');
  const accessKeyId = req.query.get('AccessKeyId');
  if (!signature && !accessKeyId) throw new EciError(400, 'MissingAuthorization', 'The request is not signed: neither an Authorization header nor a Signature parameter was supplied.');
  if (!accessKeyId) throw new EciError(400, 'MissingAccessKeyId', 'AccessKeyId is mandatory for this action.');
  if (!signature) throw new EciError(400, 'MissingSignature', 'The input parameter "Signature" that is mandatory for processing this request is not supplied.');
  if (req.query.get('SignatureMethod') !== 'HMAC-SHA1') throw new EciError(400, 'InvalidSignatureMethod', 'Specified signature method is not supported; use HMAC-SHA1.');
  const key = opts.secretFor(accessKeyId);
  if (key === undefined) throw new EciError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  if (!safeEqual(v2Signature(req.method, req.query, secretOf(key)), signature))
    throw new EciError(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
  checkSecurityToken(key, req.query.get('SecurityToken') ?? undefined, now);
  checkTimestamp(req.query.get('Timestamp') ?? undefined, 'Timestamp', opts.maxSkewMs, now);
  checkNonce(req.query.get('SignatureNonce') ?? undefined, opts.nonces, now);
  return { accessKeyId, scheme: 'HMAC-SHA1' };
}
