// Typed errors of the relay's RPC boundary and their mapping to gRPC status: RpcError carries its own
// code, AuthError is UNAUTHENTICATED, ValidationError INVALID_ARGUMENT, ProviderError its own code.
import * as grpc from '@grpc/grpc-js';
import { ProviderError } from '../pod-provider/provider.js';
import { AuthError } from './auth.js';
import { ValidationError } from './validate.js';

export class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export function statusOf(err: unknown): { code: grpc.status; details: string } {
  if (err instanceof RpcError) return { code: err.code, details: err.message };
  if (err instanceof AuthError) return { code: grpc.status.UNAUTHENTICATED, details: err.message };
  if (err instanceof ValidationError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  if (err instanceof ProviderError) return { code: grpc.status[err.code], details: err.message };
  return { code: grpc.status.INTERNAL, details: `relay internal error: ${(err as Error)?.message ?? String(err)}` };
}

/** A grpc-js error object for `callback(err)` / `call.emit('error', err)`, with the given trailing metadata. */
export function serviceError(err: unknown, metadata = new grpc.Metadata()): Partial<grpc.ServiceError> {
  const s = statusOf(err);
  return { code: s.code, details: s.details, message: s.details, metadata };
}
