// The CertificateSigningRequest API side of the TLS bootstrap: files the node's request with the bootstrap
// credential (or finds the one it filed before with the same key), then polls it with capped back-off
// until it is Approved and Issued, Denied or Failed, telling the caller while it waits for approval.
import { randomBytes } from 'node:crypto';
import { CertificatesV1Api, type KubeConfig, type V1CertificateSigningRequest } from '@kubernetes/client-node';
import { backOff } from 'exponential-backoff';
import { httpStatus, isAlreadyExists, isNotFound } from '../errors.js';
import { NODE_CLIENT_SIGNER, NODE_CLIENT_USAGES, csrPublicKey } from './csr.js';
import { systemClock, type Clock } from '../../../common/clock.js';

/** The request was Denied or Failed: it will not be issued. */
export class CertificateDeniedError extends Error {
  constructor(
    readonly csrName: string,
    readonly condition: string,
    readonly reason: string,
    detail: string,
  ) {
    super(`certificate signing request ${csrName} was ${condition.toLowerCase()}${reason ? ` (${reason})` : ''}${detail ? `: ${detail}` : ''}`);
    this.name = 'CertificateDeniedError';
  }
}

/** The request disappeared while waiting (deleted, or garbage-collected): file it again. */
export class CsrGoneError extends Error {
  constructor(readonly csrName: string) {
    super(`certificate signing request ${csrName} no longer exists`);
    this.name = 'CsrGoneError';
  }
}

class NotIssuedYet extends Error {}

export interface WaitOptions {
  /** Called once the request has waited `reminderMs` without approval, and again every `reminderMs`. */
  onPending?: (csr: V1CertificateSigningRequest, waitedMs: number) => void | Promise<void>;
  reminderMs?: number;
  signal?: AbortSignal;
}

export interface CsrClientOptions {
  clock?: Clock;
  /** First poll delay (default 100 ms) and its cap (default 5 s). */
  pollInitialMs?: number;
  pollMaxMs?: number;
}

/** The `kubectl` command an administrator runs to approve a pending request. */
export const approveCommand = (csrName: string) => `kubectl certificate approve ${csrName}`;

export class CsrClient {
  private readonly api: CertificatesV1Api;
  private readonly clock: Clock;

  constructor(
    kc: KubeConfig,
    private readonly o: CsrClientOptions = {},
  ) {
    this.api = kc.makeApiClient(CertificatesV1Api);
    this.clock = o.clock ?? systemClock;
  }

  /**
   * Files the request under `name`. A request of that name filed earlier for the same key (a restart while
   * waiting) is reused; one for another key is left alone and ours gets a name of its own.
   */
  async submit(name: string, csrPem: string, spki: Buffer, expirationSeconds?: number): Promise<string> {
    // An API server that is restarting or overloaded is waited for (about 30 s); a refusal is final.
    return await backOff(() => this.submitOnce(name, csrPem, spki, expirationSeconds), {
      numOfAttempts: 7,
      startingDelay: this.o.pollInitialMs ?? 500,
      maxDelay: this.o.pollMaxMs ?? 5000,
      timeMultiple: 2,
      retry: (e) => isTransient(e),
    });
  }

  private async submitOnce(name: string, csrPem: string, spki: Buffer, expirationSeconds?: number): Promise<string> {
    const body = (n: string): V1CertificateSigningRequest => ({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: n },
      spec: {
        signerName: NODE_CLIENT_SIGNER,
        usages: [...NODE_CLIENT_USAGES],
        // The API carries the PEM base64-encoded (a []byte field).
        request: Buffer.from(csrPem).toString('base64'),
        ...(expirationSeconds ? { expirationSeconds } : {}),
      },
    });
    try {
      await this.api.createCertificateSigningRequest({ body: body(name) });
      return name;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const existing = await this.api.readCertificateSigningRequest({ name });
    if (existing.spec.signerName === NODE_CLIENT_SIGNER && sameKey(existing.spec.request, spki)) return name;
    const own = `${name}-${randomBytes(4).toString('hex')}`;
    await this.api.createCertificateSigningRequest({ body: body(own) });
    return own;
  }

  /** Waits until the request is issued and returns the certificate (PEM). */
  async waitIssued(name: string, w: WaitOptions = {}): Promise<string> {
    const started = this.clock.now();
    const reminderMs = w.reminderMs ?? 60_000;
    let nextNotice = started + reminderMs;
    return await backOff(
      async () => {
        if (w.signal?.aborted) throw new Error('stopped');
        let csr: V1CertificateSigningRequest;
        try {
          csr = await this.api.readCertificateSigningRequest({ name });
        } catch (e) {
          if (isNotFound(e)) throw new CsrGoneError(name);
          throw e;
        }
        const conditions = csr.status?.conditions ?? [];
        const final = conditions.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status !== 'False');
        if (final) throw new CertificateDeniedError(name, final.type, final.reason ?? '', final.message ?? '');
        const approved = conditions.some((c) => c.type === 'Approved' && c.status !== 'False');
        if (approved && csr.status?.certificate) return Buffer.from(csr.status.certificate, 'base64').toString('utf8');
        const now = this.clock.now();
        if (!approved && now >= nextNotice) {
          nextNotice = now + reminderMs;
          await w.onPending?.(csr, now - started);
        }
        throw new NotIssuedYet(approved ? 'approved, not issued yet' : 'not approved yet');
      },
      {
        numOfAttempts: Number.MAX_SAFE_INTEGER,
        startingDelay: this.o.pollInitialMs ?? 100,
        maxDelay: this.o.pollMaxMs ?? 5000,
        timeMultiple: 2,
        delayFirstAttempt: false,
        // Waiting and transient API errors go on; a final answer, a vanished request or a stop end the wait.
        retry: (e) => !w.signal?.aborted && !(e instanceof CertificateDeniedError) && !(e instanceof CsrGoneError),
      },
    ).catch((e: unknown) => {
      if (w.signal?.aborted) throw new Error(`stopped while waiting for certificate signing request ${name}`);
      throw e;
    });
  }
}

/** No answer, or one that says "later" (429, 5xx): worth another try. */
function isTransient(e: unknown): boolean {
  const code = httpStatus(e);
  return code === undefined || code === 429 || code >= 500;
}

function sameKey(requestB64: string, spki: Buffer): boolean {
  try {
    return csrPublicKey(Buffer.from(requestB64, 'base64').toString('utf8')).equals(spki);
  } catch {
    return false;
  }
}
