// Resolves a tenant's `credentialsRef` to an ECI AccessKey pair, on the relay only (never sent to agents).
//   env:PREFIX   → PREFIX_ACCESS_KEY_ID, PREFIX_ACCESS_KEY_SECRET, optional PREFIX_SECURITY_TOKEN
//   file:/path   → JSON {"accessKeyId", "accessKeySecret", "securityToken"?} (e.g. a mounted Secret)
import { readFileSync } from 'node:fs';

export interface EciCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export class CredentialsError extends Error {
  constructor(ref: string, problem: string) {
    super(`credentialsRef ${JSON.stringify(ref)}: ${problem}`);
    this.name = 'CredentialsError';
  }
}

export function resolveCredentials(ref: string, env: NodeJS.ProcessEnv = process.env): EciCredentials {
  const i = ref.indexOf(':');
  const kind = i > 0 ? ref.slice(0, i) : '';
  const arg = ref.slice(i + 1);
  if (kind === 'env') {
    const id = env[`${arg}_ACCESS_KEY_ID`];
    const secret = env[`${arg}_ACCESS_KEY_SECRET`];
    if (!id || !secret) throw new CredentialsError(ref, `set ${arg}_ACCESS_KEY_ID and ${arg}_ACCESS_KEY_SECRET in the relay's environment`);
    return { accessKeyId: id, accessKeySecret: secret, securityToken: env[`${arg}_SECURITY_TOKEN`] || undefined };
  }
  if (kind === 'file') {
    let parsed: Partial<EciCredentials>;
    try {
      parsed = JSON.parse(readFileSync(arg, 'utf8')) as Partial<EciCredentials>;
    } catch (e) {
      throw new CredentialsError(ref, `cannot read JSON credentials: ${(e as Error).message}`);
    }
    if (!parsed.accessKeyId || !parsed.accessKeySecret) throw new CredentialsError(ref, 'the file must hold accessKeyId and accessKeySecret');
    return { accessKeyId: parsed.accessKeyId, accessKeySecret: parsed.accessKeySecret, securityToken: parsed.securityToken };
  }
  throw new CredentialsError(ref, 'must start with env: or file:');
}
