// Revocation of open streams: every open watch/exec/attach/logs/port-forward stream is registered with
// the credential it was opened with, and each sweep re-checks that credential against the current
// config, token file and client CA (and the certificate's validity dates). A stream whose credential no
// longer authenticates, or no longer grants its cluster, is ended with that status and counted.
import * as grpc from '@grpc/grpc-js';
import type { Counter } from 'prom-client';
import type { Logger } from '../../common/log.js';
import type { Credential } from './auth.js';

interface OpenStream {
  kind: string;
  /** Credential key (keys.ts) of the identity that opened it, and the cluster it claimed. */
  identityKey: string;
  clusterId: string;
  credential: Credential;
  log: Logger;
  /** Ends the stream with a status (idempotent). */
  end(code: grpc.status, details: string): void;
}

/** Re-checks one stream: undefined if it may go on, else the status to end it with. */
type StreamCheck = (s: OpenStream) => { code: grpc.status; details: string } | undefined;

export class OpenStreams {
  private readonly streams = new Set<OpenStream>();

  constructor(
    private readonly check: StreamCheck,
    private readonly revoked: Counter<'kind'>,
  ) {}

  add(s: OpenStream): () => void {
    this.streams.add(s);
    return () => this.streams.delete(s);
  }

  /** Re-checks every open stream; ends and forgets those that fail. Returns how many were ended. */
  sweep(): number {
    let ended = 0;
    for (const s of [...this.streams]) {
      let verdict: ReturnType<StreamCheck>;
      try {
        verdict = this.check(s);
      } catch (e) {
        verdict = { code: grpc.status.UNAUTHENTICATED, details: (e as Error).message };
      }
      if (!verdict) continue;
      this.streams.delete(s);
      ended++;
      this.revoked.inc({ kind: s.kind });
      const details = `${s.kind} ended: the credential it was opened with is no longer valid: ${verdict.details}`;
      s.log.warn({ kind: s.kind, code: grpc.status[verdict.code], details }, 'open stream revoked');
      s.end(verdict.code, details);
    }
    return ended;
  }
}
