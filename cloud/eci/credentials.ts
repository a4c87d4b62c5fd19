// A tenant's `credentialsRef` → the ECI credential the relay signs with (on the relay only, never sent to
// agents). Static forms (env:, file:) and the refreshing providers of @alicloud/credentials (its default chain,
// ECS RAM role, credentials URI, RAM role ARN, OIDC/RRSA), so a relay can run without a long-lived AccessKey.
// parseCredentialsRef validates a ref (no network); credentialFor builds the provider, which refreshes itself.
import { accessSync, constants, readFileSync } from 'node:fs';
import CredentialsModule, * as $Cred from '@alicloud/credentials';

export interface EciCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** The @alicloud/credentials client (what the openapi Config's `credential` takes); it refreshes on its own. */
export type EciCredential = InstanceType<typeof CredentialsModule.default>;
const Credential = CredentialsModule.default;

export class CredentialsError extends Error {
  constructor(ref: string, problem: string) {
    super(`credentialsRef ${JSON.stringify(ref)}: ${problem}`);
    this.name = 'CredentialsError';
  }
}

/** Where a RAM role ARN's base credentials come from. */
type BaseCredentialsSpec = { kind: 'static'; keys: EciCredentials } | { kind: 'default' };

export type CredentialsSpec =
  | { kind: 'static'; keys: EciCredentials }
  | { kind: 'default' }
  | { kind: 'ecs-ram-role'; roleName?: string }
  | { kind: 'uri'; url: string }
  | { kind: 'ram-role-arn'; roleArn: string; source: BaseCredentialsSpec; sessionName?: string; externalId?: string; durationSeconds?: number; stsEndpoint?: string }
  | { kind: 'oidc'; roleArn: string; providerArn: string; tokenFile: string; sessionName?: string; durationSeconds?: number; stsEndpoint?: string };

const CREDENTIALS_REF_FORMS =
  'env:PREFIX, file:/path (an AccessKey), default (the @alicloud/credentials default chain), ecs-ram-role[:<role>], uri:<https URL, or http on loopback>, ram-role-arn:<role ARN>[?source=env:PREFIX|file:/path|default&sessionName=&externalId=&durationSeconds=&stsEndpoint=], oidc[:<role ARN>?providerArn=&tokenFile=&sessionName=&durationSeconds=&stsEndpoint=]';

const ROLE_ARN = /^acs:ram::\d{1,32}:role\/[A-Za-z0-9._@+=,-]{1,64}$/;
const OIDC_PROVIDER_ARN = /^acs:ram::\d{1,32}:oidc-provider\/[A-Za-z0-9._-]{1,128}$/;
const ROLE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const SESSION_NAME = /^[A-Za-z0-9._@-]{2,64}$/;
const HOST_PORT = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function staticFrom(ref: string, kind: string, arg: string, env: NodeJS.ProcessEnv): EciCredentials {
  if (kind === 'env') {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(arg)) throw new CredentialsError(ref, `env:${arg}: the prefix must be an environment variable name`);
    const id = env[`${arg}_ACCESS_KEY_ID`];
    const secret = env[`${arg}_ACCESS_KEY_SECRET`];
    if (!id || !secret) throw new CredentialsError(ref, `set ${arg}_ACCESS_KEY_ID and ${arg}_ACCESS_KEY_SECRET in the relay's environment`);
    return { accessKeyId: id, accessKeySecret: secret, securityToken: env[`${arg}_SECURITY_TOKEN`] || undefined };
  }
  let parsed: Partial<EciCredentials>;
  try {
    parsed = JSON.parse(readFileSync(arg, 'utf8')) as Partial<EciCredentials>;
  } catch (e) {
    throw new CredentialsError(ref, `cannot read JSON credentials: ${(e as Error).message}`);
  }
  if (typeof parsed?.accessKeyId !== 'string' || !parsed.accessKeyId || typeof parsed.accessKeySecret !== 'string' || !parsed.accessKeySecret) {
    throw new CredentialsError(ref, 'the file must hold accessKeyId and accessKeySecret');
  }
  const token = typeof parsed.securityToken === 'string' && parsed.securityToken ? parsed.securityToken : undefined;
  return { accessKeyId: parsed.accessKeyId, accessKeySecret: parsed.accessKeySecret, securityToken: token };
}

/** Splits `head?query` and refuses query keys other than `allowed`. */
function withQuery(ref: string, rest: string, allowed: string[]): { head: string; q: URLSearchParams } {
  const i = rest.indexOf('?');
  const head = i < 0 ? rest : rest.slice(0, i);
  const q = new URLSearchParams(i < 0 ? '' : rest.slice(i + 1));
  for (const k of q.keys()) if (!allowed.includes(k)) throw new CredentialsError(ref, `unknown option "${k}" (allowed: ${allowed.join(', ')})`);
  return { head, q };
}

function optional(ref: string, q: URLSearchParams, key: string, re: RegExp, what: string): string | undefined {
  const v = q.get(key);
  if (v === null) return undefined;
  if (!re.test(v)) throw new CredentialsError(ref, `${key} must be ${what}`);
  return v;
}

function duration(ref: string, q: URLSearchParams): number | undefined {
  const v = q.get('durationSeconds');
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 900 || n > 43_200) throw new CredentialsError(ref, 'durationSeconds must be an integer from 900 (STS minimum) to 43200');
  return n;
}

function readableFile(ref: string, path: string, what: string): string {
  try {
    accessSync(path, constants.R_OK);
  } catch (e) {
    throw new CredentialsError(ref, `${what} ${path} is not readable: ${(e as Error).message}`);
  }
  return path;
}

/** Validates a credentialsRef and reads its static keys (env:/file:); makes no network call. */
export function parseCredentialsRef(ref: string, env: NodeJS.ProcessEnv = process.env): CredentialsSpec {
  const i = ref.indexOf(':');
  const kind = i > 0 ? ref.slice(0, i) : ref;
  const arg = i > 0 ? ref.slice(i + 1) : '';
  switch (kind) {
    case 'env':
    case 'file':
      return { kind: 'static', keys: staticFrom(ref, kind, arg, env) };
    case 'default':
      if (i > 0) throw new CredentialsError(ref, '"default" takes no argument (the chain reads ALIBABA_CLOUD_* variables, profiles, the ECS metadata service and ALIBABA_CLOUD_CREDENTIALS_URI)');
      return { kind: 'default' };
    case 'ecs-ram-role':
      if (arg && !ROLE_NAME.test(arg)) throw new CredentialsError(ref, 'the RAM role name must be 1-64 letters, digits, ".", "_" or "-"');
      return { kind: 'ecs-ram-role', roleName: arg || undefined };
    case 'uri': {
      let url: URL;
      try {
        url = new URL(arg);
      } catch {
        throw new CredentialsError(ref, 'uri: needs an absolute URL, e.g. uri:https://creds.example/ecigw');
      }
      const loopback = LOOPBACK.has(url.hostname) || url.hostname.startsWith('127.');
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
        throw new CredentialsError(ref, 'the credentials URI hands out secrets: use https, or http only on a loopback address (a sidecar)');
      }
      if (url.username || url.password) throw new CredentialsError(ref, 'the credentials URI must not embed a user or password');
      return { kind: 'uri', url: url.toString() };
    }
    case 'ram-role-arn': {
      const { head, q } = withQuery(ref, arg, ['source', 'sessionName', 'externalId', 'durationSeconds', 'stsEndpoint']);
      if (!ROLE_ARN.test(head)) throw new CredentialsError(ref, 'the role ARN must look like acs:ram::<account id>:role/<role name>');
      const src = q.get('source') ?? 'default';
      let source: BaseCredentialsSpec;
      if (src === 'default') source = { kind: 'default' };
      else if (src.startsWith('env:') || src.startsWith('file:')) source = { kind: 'static', keys: staticFrom(ref, src.slice(0, src.indexOf(':')), src.slice(src.indexOf(':') + 1), env) };
      else throw new CredentialsError(ref, 'source must be env:PREFIX, file:/path or default');
      return {
        kind: 'ram-role-arn',
        roleArn: head,
        source,
        sessionName: optional(ref, q, 'sessionName', SESSION_NAME, '2-64 letters, digits, ".", "_", "@" or "-"'),
        externalId: optional(ref, q, 'externalId', /^[A-Za-z0-9=,.@:/-]{2,1224}$/, 'an external id of 2-1224 characters'),
        durationSeconds: duration(ref, q),
        stsEndpoint: optional(ref, q, 'stsEndpoint', HOST_PORT, 'host[:port], e.g. sts-vpc.cn-hangzhou.aliyuncs.com'),
      };
    }
    case 'oidc': {
      // ACK's RRSA injects ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE.
      const { head, q } = withQuery(ref, arg, ['providerArn', 'tokenFile', 'sessionName', 'durationSeconds', 'stsEndpoint']);
      const roleArn = head || env.ALIBABA_CLOUD_ROLE_ARN || '';
      const providerArn = q.get('providerArn') ?? env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN ?? '';
      const tokenFile = q.get('tokenFile') ?? env.ALIBABA_CLOUD_OIDC_TOKEN_FILE ?? '';
      if (!ROLE_ARN.test(roleArn)) throw new CredentialsError(ref, 'the role ARN (oidc:<ARN> or ALIBABA_CLOUD_ROLE_ARN) must look like acs:ram::<account id>:role/<role name>');
      if (!OIDC_PROVIDER_ARN.test(providerArn)) throw new CredentialsError(ref, 'providerArn (or ALIBABA_CLOUD_OIDC_PROVIDER_ARN) must look like acs:ram::<account id>:oidc-provider/<name>');
      if (!tokenFile) throw new CredentialsError(ref, 'tokenFile (or ALIBABA_CLOUD_OIDC_TOKEN_FILE) is required: the projected service-account token');
      return {
        kind: 'oidc',
        roleArn,
        providerArn,
        tokenFile: readableFile(ref, tokenFile, 'the OIDC token file'),
        sessionName: optional(ref, q, 'sessionName', SESSION_NAME, '2-64 letters, digits, ".", "_", "@" or "-"'),
        durationSeconds: duration(ref, q),
        stsEndpoint: optional(ref, q, 'stsEndpoint', HOST_PORT, 'host[:port], e.g. sts-vpc.cn-hangzhou.aliyuncs.com'),
      };
    }
    default:
      throw new CredentialsError(ref, `must start with env: or file:, or be one of the refreshing forms; the forms are ${CREDENTIALS_REF_FORMS}`);
  }
}

type Provider = $Cred.CredentialsProvider;

function staticProvider(keys: EciCredentials): Provider {
  return keys.securityToken
    ? $Cred.StaticSTSCredentialsProvider.builder().withAccessKeyId(keys.accessKeyId).withAccessKeySecret(keys.accessKeySecret).withSecurityToken(keys.securityToken).build()
    : $Cred.StaticAKCredentialsProvider.builder().withAccessKeyId(keys.accessKeyId).withAccessKeySecret(keys.accessKeySecret).build();
}

/**
 * Concurrent calls that find the session stale share one refresh: a burst of ECI calls at the moment a
 * credential needs refreshing costs one STS / metadata / URI request, not one per call.
 */
function singleFlight(inner: Provider): Provider {
  let pending: ReturnType<Provider['getCredentials']> | undefined;
  return {
    getProviderName: () => inner.getProviderName(),
    getCredentials: () => {
      pending ??= inner.getCredentials().finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}

function providerFor(spec: CredentialsSpec): Provider {
  switch (spec.kind) {
    case 'static':
      return staticProvider(spec.keys);
    case 'default':
      return $Cred.DefaultCredentialsProvider.builder().build();
    case 'ecs-ram-role': {
      const b = $Cred.ECSRAMRoleCredentialsProvider.builder();
      if (spec.roleName) b.withRoleName(spec.roleName);
      return b.build();
    }
    case 'uri':
      return $Cred.URICredentialsProvider.builder().withCredentialsURI(spec.url).build();
    case 'ram-role-arn': {
      const b = $Cred.RAMRoleARNCredentialsProvider.builder()
        .withCredentialsProvider(spec.source.kind === 'static' ? staticProvider(spec.source.keys) : $Cred.DefaultCredentialsProvider.builder().build())
        .withRoleArn(spec.roleArn)
        .withRoleSessionName(spec.sessionName ?? 'ecigw-relay');
      if (spec.externalId) b.withExternalId(spec.externalId);
      if (spec.durationSeconds) b.withDurationSeconds(spec.durationSeconds);
      if (spec.stsEndpoint) b.withStsEndpoint(spec.stsEndpoint);
      return b.build();
    }
    case 'oidc': {
      const b = $Cred.OIDCRoleArnCredentialsProvider.builder()
        .withRoleArn(spec.roleArn)
        .withOIDCProviderArn(spec.providerArn)
        .withOIDCTokenFilePath(spec.tokenFile)
        .withRoleSessionName(spec.sessionName ?? 'ecigw-relay');
      if (spec.durationSeconds) b.withDurationSeconds(spec.durationSeconds);
      if (spec.stsEndpoint) b.withStsEndpoint(spec.stsEndpoint);
      return b.build();
    }
  }
}

/** The credential a tenant's ECI client signs with; refreshing forms fetch and renew their keys themselves. */
export function credentialFor(ref: string, env: NodeJS.ProcessEnv = process.env): EciCredential {
  const spec = parseCredentialsRef(ref, env);
  const provider = spec.kind === 'static' ? providerFor(spec) : singleFlight(providerFor(spec));
  return new Credential(null, provider);
}

/** A static AccessKey (env:/file: only); kept for callers that need the key pair itself. */
export function resolveCredentials(ref: string, env: NodeJS.ProcessEnv = process.env): EciCredentials {
  const spec = parseCredentialsRef(ref, env);
  if (spec.kind !== 'static') throw new CredentialsError(ref, `is a refreshing form (${spec.kind}); it has no static AccessKey (use credentialFor)`);
  return spec.keys;
}
