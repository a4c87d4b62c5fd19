// Test helper: an unmodified @alicloud/eci20180808 client pointed at an emulator handle.
import Eci, * as $Eci from '@alicloud/eci20180808';
import * as $OpenApi from '@alicloud/openapi-client';
import type { EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { eventually } from '../../helpers/wait.js';

export { $Eci };
export type EciClient = InstanceType<typeof Eci.default>;
// Under tsx/NodeNext the CJS module's `exports.default` is reached through the default import.
const EciClass = ((Eci as unknown as { default?: typeof Eci.default }).default ?? Eci) as typeof Eci.default;

/**
 * `signedAt`: the time the client claims to sign at (its x-acs-date, set through the SDK's own global headers), as
 * a client with a skewed clock would; the SDK signs over it like over any header.
 */
export function sdkClient(h: Pick<EmulatorHandle, 'endpoint' | 'accessKeyId' | 'accessKeySecret' | 'regionId'>, over: Partial<{ accessKeyId: string; accessKeySecret: string; signatureAlgorithm: string; signedAt: Date }> = {}): EciClient {
  return new EciClass(
    new $OpenApi.Config({
      ...(over.signedAt ? { globalParameters: new $OpenApi.GlobalParameters({ headers: { 'x-acs-date': over.signedAt.toISOString().replace(/\.\d{3}Z$/, 'Z') } }) } : {}),
      accessKeyId: over.accessKeyId ?? h.accessKeyId,
      accessKeySecret: over.accessKeySecret ?? h.accessKeySecret,
      endpoint: h.endpoint,
      protocol: 'http',
      regionId: h.regionId,
      readTimeout: 10_000,
      connectTimeout: 10_000,
      ...(over.signatureAlgorithm ? { signatureAlgorithm: over.signatureAlgorithm } : {}),
    }),
  );
}

/** The error code and HTTP status the SDK raised, or throws if the call succeeded. */
export async function sdkError(p: Promise<unknown>): Promise<{ code: string; statusCode: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; statusCode?: number; message?: string; data?: { statusCode?: number } };
    return { code: err.code ?? '', statusCode: err.statusCode ?? err.data?.statusCode ?? 0, message: err.message ?? '' };
  }
  throw new Error('expected the SDK call to fail');
}

/** Polls until truthy (bounded); the shared test helper with this file's default cadence. */
export const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> => eventually(what, fn, timeoutMs, everyMs);
