// The unmodified Alibaba Cloud ECI SDK, constructed from an endpoint and credentials: a static key pair, or an
// @alicloud/credentials credential the SDK asks before every request (so refreshed STS keys are used at once).
// The package is CommonJS with the client class on `exports.default`; this module hides that interop
// so the rest of the code imports one typed constructor. Real ECI and the emulator differ only in config.
import EciModule, * as $Eci from '@alicloud/eci20180808';
import * as $OpenApi from '@alicloud/openapi-client';
import * as $Util from '@alicloud/tea-util';
import type { EciCredential } from './credentials.js';

export { $Eci, $Util };
type EciClass = typeof EciModule.default;
export type EciClient = InstanceType<EciClass>;

/** A static key pair, or a credential that refreshes itself (credentials.ts `credentialFor`). */
type EciAuth =
  | { accessKeyId: string; accessKeySecret: string; securityToken?: string; credential?: undefined }
  | { credential: EciCredential; accessKeyId?: undefined; accessKeySecret?: undefined; securityToken?: undefined };

export type EciEndpointConfig = EciAuth & {
  /** `host[:port]` only (e.g. `eci.cn-hangzhou.aliyuncs.com` or `127.0.0.1:18080`); no scheme. */
  endpoint: string;
  /** `https` for real ECI, `http` for the emulator. */
  protocol: 'http' | 'https';
  regionId: string;
  /** Per-request connect and read timeout in ms (the SDK's default is 3000 for both). */
  timeoutMs?: number;
};

// Under Node's ESM loader the default import is module.exports; the class is its `default`.
const EciCtor: EciClass = EciModule.default;

export function newEciClient(c: EciEndpointConfig): EciClient {
  if (/^[a-z]+:\/\//i.test(c.endpoint) || c.endpoint.includes('/')) {
    throw new Error(`ECI endpoint must be host[:port] without scheme or path, got "${c.endpoint}"`);
  }
  const timeout = c.timeoutMs ?? 3000;
  return new EciCtor(
    new $OpenApi.Config({
      ...(c.credential ? { credential: c.credential } : { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken }),
      endpoint: c.endpoint,
      protocol: c.protocol,
      regionId: c.regionId,
      readTimeout: timeout,
      connectTimeout: timeout,
    }),
  );
}

/** Runtime options for one call: both timeouts set (setting only one leaves the other at 3 s) and no SDK retry. */
export function runtimeOptions(timeoutMs: number): $Util.RuntimeOptions {
  return new $Util.RuntimeOptions({ readTimeout: timeoutMs, connectTimeout: timeoutMs, autoretry: false });
}
