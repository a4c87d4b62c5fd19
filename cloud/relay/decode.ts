// The tunnel service definition with request deserializers that never throw: undecodable bytes become
// a Malformed marker the handlers answer with INVALID_ARGUMENT, instead of an INTERNAL from grpc-js.
import type * as grpc from '@grpc/grpc-js';
import { tunnelServiceDefinition } from '../../proto/load.js';

const MALFORMED = Symbol('malformed');
export type Malformed = { [MALFORMED]: string };
export const isMalformed = (m: unknown): m is Malformed => typeof m === 'object' && m !== null && MALFORMED in m;
/** Why a message could not be decoded. */
export const malformedReason = (m: Malformed): string => m[MALFORMED];

export function tolerantDefinition(): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(tunnelServiceDefinition)) {
    const decode = method.requestDeserialize;
    out[name] = {
      ...method,
      requestDeserialize: (buf: Buffer): unknown => {
        try {
          return decode(buf);
        } catch (e) {
          return { [MALFORMED]: (e as Error).message } satisfies Malformed;
        }
      },
    };
  }
  return out;
}
