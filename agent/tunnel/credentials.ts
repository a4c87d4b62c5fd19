// What the agent presents to the relay: TLS channel credentials (CA, client certificate and key, read at
// every connect so rotated files need no restart) and the metadata of every call (request id, cluster,
// agent, protocol version, the bearer token, re-read whenever its file changes, and the W3C trace context of
// the active span while tracing is on).
import { readFileSync, statSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { traceCarrier } from '../../common/tracing.js';
import { METADATA, PROTOCOL_VERSION } from '../../proto/wire.js';
import { TunnelError } from './errors.js';
import type { PemSource, ResolvedTunnelOptions } from './options.js';

const pem = (s: PemSource | undefined): Buffer | undefined =>
  s === undefined ? undefined : typeof s === 'object' && 'file' in s ? readFileSync(s.file) : Buffer.from(s);

export class TunnelCredentials {
  private tokenCache: { stamp: string; token: string } | undefined;

  constructor(private readonly o: Pick<ResolvedTunnelOptions, 'tls' | 'tokenFile' | 'clusterId' | 'agentId'>) {}

  /** TLS credentials from the current files. */
  channel(): grpc.ChannelCredentials {
    return grpc.credentials.createSsl(pem(this.o.tls.ca), pem(this.o.tls.key), pem(this.o.tls.cert));
  }

  /** The same TLS material for a plain TLS connection (the session data connections). */
  tlsFiles(): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
    return { ca: pem(this.o.tls.ca), cert: pem(this.o.tls.cert), key: pem(this.o.tls.key) };
  }

  /** Metadata of one call; throws UNAUTHENTICATED when the token file cannot be read. */
  metadata(reqId: string): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(METADATA.requestId, reqId);
    md.set(METADATA.clusterId, this.o.clusterId);
    md.set(METADATA.agentId, this.o.agentId);
    md.set(METADATA.protocol, String(PROTOCOL_VERSION));
    const token = this.token();
    if (token) md.set(METADATA.authorization, `Bearer ${token}`);
    const trace = traceCarrier();
    if (trace.traceparent) md.set(METADATA.traceparent, trace.traceparent);
    if (trace.tracestate) md.set(METADATA.tracestate, trace.tracestate);
    return md;
  }

  private token(): string | undefined {
    if (!this.o.tokenFile) return undefined;
    try {
      const st = statSync(this.o.tokenFile);
      const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (this.tokenCache?.stamp !== stamp) this.tokenCache = { stamp, token: readFileSync(this.o.tokenFile, 'utf8').trim() };
      return this.tokenCache.token;
    } catch (e) {
      throw new TunnelError(grpc.status.UNAUTHENTICATED, `token file ${this.o.tokenFile} unreadable: ${(e as Error).message}`);
    }
  }
}
