// Turns ECI SDK failures met during sessions (exec, logs, stats) into ProviderErrors the relay maps to gRPC
// codes, with a message naming the pod and what to do. Pure.
import { ProviderError, type ProviderErrorCode } from '../../pod-provider/provider.js';
import { mapEciError } from '../mapping/errors.js';

interface SdkErrorShape {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

/** Throttling, network and 5xx failures: worth another poll in a follow loop. */
export function isTransientEciError(err: unknown): boolean {
  if (err instanceof ProviderError) return err.code === 'UNAVAILABLE' || err.code === 'RESOURCE_EXHAUSTED';
  return mapEciError(shape(err)).retryable && !/^IncorrectStatus/i.test(shape(err).code ?? '');
}

export function sessionError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = shape(err);
  const code = e.code ?? '';
  const c = mapEciError(e);
  let grpc: ProviderErrorCode;
  if (/NotFound|NotExist/i.test(code) || e.statusCode === 404) grpc = 'NOT_FOUND';
  else if (/^IncorrectStatus/i.test(code)) grpc = 'FAILED_PRECONDITION';
  else if (c.reason === 'ProviderThrottled') grpc = 'RESOURCE_EXHAUSTED';
  else if (c.reason === 'InvalidPodSpec') grpc = 'INVALID_ARGUMENT';
  else grpc = 'UNAVAILABLE';
  const detail = grpc === 'FAILED_PRECONDITION' ? `the container group is not in a state that allows this (${code}: ${e.message ?? ''})` : c.message;
  return new ProviderError(grpc, `${what}: ${detail}`);
}

function shape(err: unknown): { code?: string; statusCode?: number; message?: string } {
  const o = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  return {
    code: typeof o.code === 'string' ? o.code : undefined,
    statusCode: typeof o.statusCode === 'number' ? o.statusCode : undefined,
    message: typeof o.message === 'string' ? o.message : String(err),
  };
}
