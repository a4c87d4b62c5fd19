// Errors of tunnel calls: TunnelError carries the gRPC status code and the request id; toTunnelError turns
// any failure of a call (a grpc-js ServiceError, a local error) into one.
import * as grpc from '@grpc/grpc-js';

/** Error of a tunnel RPC; `code` is the gRPC status code. */
export class TunnelError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'TunnelError';
  }
}

/** Any failure of a call (a grpc-js ServiceError, a local error) as a TunnelError. */
export const toTunnelError = (e: unknown, reqId?: string): TunnelError => {
  if (e instanceof TunnelError) return e;
  const se = e as Partial<grpc.ServiceError>;
  return new TunnelError(se.code ?? grpc.status.UNKNOWN, se.details ?? (e as Error | undefined)?.message ?? String(e), reqId);
};
