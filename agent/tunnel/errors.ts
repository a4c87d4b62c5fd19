// Errors of tunnel calls: TunnelError keeps the gRPC status code (for logs, the kubelet API and tests) and is
// a PodTunnelError whose kind is mapped from that code here, the one place that turns transport codes into
// the pod logic's error kinds.
import * as grpc from '@grpc/grpc-js';
import { PodTunnelError, type TunnelErrorKind } from '../pods/tunnel-errors.js';

/** The kind of failure a gRPC status code stands for. */
export function kindOfStatus(code: grpc.status): TunnelErrorKind {
  switch (code) {
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.OUT_OF_RANGE:
      return 'InvalidArgument';
    case grpc.status.NOT_FOUND:
      return 'NotFound';
    case grpc.status.PERMISSION_DENIED:
    case grpc.status.UNAUTHENTICATED:
      return 'PermissionDenied';
    case grpc.status.FAILED_PRECONDITION:
      return 'FailedPrecondition';
    case grpc.status.RESOURCE_EXHAUSTED:
      return 'ResourceExhausted';
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      return 'Unavailable';
    default:
      return 'Unknown';
  }
}

/** Error of a tunnel RPC; `code` is the gRPC status code, `kind` what it means to the pod logic. */
export class TunnelError extends PodTunnelError {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly requestId?: string,
  ) {
    super(kindOfStatus(code), message);
    this.name = 'TunnelError';
  }
}

/** Any failure of a call (a grpc-js ServiceError, a local error) as a TunnelError. */
export const toTunnelError = (e: unknown, reqId?: string): TunnelError => {
  if (e instanceof TunnelError) return e;
  const se = e as Partial<grpc.ServiceError>;
  return new TunnelError(se.code ?? grpc.status.UNKNOWN, se.details ?? (e as Error | undefined)?.message ?? String(e), reqId);
};
