// The dialling end of a session data connection (proto/data-connection.ts), shared by the agent's sessions
// and the burst pods' egress sidecar: reads the offer in a call's response headers, dials the relay's data
// port over TLS (verifying the relay as the caller's gRPC connection does) and presents the one-time token.
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { METADATA } from '../proto/wire.js';
import { DATA_TLS_CIPHERS, dataHello } from '../proto/data-connection.js';
import type { OnRead } from './socket-pump.js';

export interface DataConnectionTarget {
  /** The relay host (the tunnel's). */
  host: string;
  /** TLS server name to verify (default: host, unless it is an IP). */
  servername?: string;
  tls: () => { ca?: Buffer; cert?: Buffer; key?: Buffer };
  connectTimeoutMs: number;
}

/** The token and port a session's response headers offer, or undefined when they offer none (or nonsense). */
export function offeredDataConnection(md: grpc.Metadata): { token: string; port: number } | undefined {
  const token = md.get(METADATA.dataToken)[0];
  const port = Number(md.get(METADATA.dataPort)[0]);
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token) || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { token, port };
}

/**
 * Connects and sends the hello; resolves with the socket (paused) or rejects. `onread`: the socket reads into
 * that buffer and callback instead of emitting 'data' (socket-pump.ts).
 */
export function dialDataConnection(t: DataConnectionTarget, offer: { token: string; port: number }, onread?: OnRead): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // Half-open: the relay's FIN ends the output, and port-forward input may still follow it; no Nagle, so a
    // short message does not wait for a delayed ACK (tls.connect passes both to the socket; @types/node does
    // not list them).
    const options: ConnectionOptions & { allowHalfOpen: boolean; noDelay: boolean } = { host: t.host, port: offer.port, allowHalfOpen: true, noDelay: true, ciphers: DATA_TLS_CIPHERS, ...t.tls(), ...(t.servername ? { servername: t.servername } : isIP(t.host) ? {} : { servername: t.host }), ...(onread ? { onread } : {}) };
    const socket = connect(options);
    socket.setNoDelay(true);
    const timer = setTimeout(() => socket.destroy(new Error(`data connection to ${t.host}:${offer.port} not up within ${t.connectTimeoutMs} ms`)), t.connectTimeoutMs);
    socket.once('error', (e: Error) => (clearTimeout(timer), reject(e)));
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.pause();
      socket.write(dataHello(offer.token));
      resolve(socket);
    });
  });
}
