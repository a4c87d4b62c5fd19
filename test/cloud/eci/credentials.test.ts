// credentialsRef forms (credentials.ts), table-tested without network: each valid form parses to what the
// @alicloud/credentials provider needs and builds a credential; each bad one is refused with a message naming
// the problem and the fix. Static forms keep their exact old behaviour.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialsError, credentialFor, parseCredentialsRef, resolveCredentials, type CredentialsSpec } from '../../../cloud/eci/credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'ecigw-creds-'));
const keyFile = join(dir, 'acme.json');
writeFileSync(keyFile, JSON.stringify({ accessKeyId: 'LTAI-file', accessKeySecret: 'file-secret' }));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'eyJ.projected.token');
const ROLE = 'acs:ram::1234567890123456:role/ecigw-relay';
const OIDC = 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-c123';
const env = { ECI_ACCESS_KEY_ID: 'LTAI-env', ECI_ACCESS_KEY_SECRET: 'env-secret', STS_ACCESS_KEY_ID: 'STS.x', STS_ACCESS_KEY_SECRET: 's', STS_SECURITY_TOKEN: 'tok' };
const rrsaEnv = { ALIBABA_CLOUD_ROLE_ARN: ROLE, ALIBABA_CLOUD_OIDC_PROVIDER_ARN: OIDC, ALIBABA_CLOUD_OIDC_TOKEN_FILE: tokenFile };

test('valid forms parse to their provider settings and build a credential', async (t) => {
  const table: [ref: string, env: NodeJS.ProcessEnv, want: CredentialsSpec][] = [
    ['env:ECI', env, { kind: 'static', keys: { accessKeyId: 'LTAI-env', accessKeySecret: 'env-secret', securityToken: undefined } }],
    ['env:STS', env, { kind: 'static', keys: { accessKeyId: 'STS.x', accessKeySecret: 's', securityToken: 'tok' } }],
    [`file:${keyFile}`, {}, { kind: 'static', keys: { accessKeyId: 'LTAI-file', accessKeySecret: 'file-secret', securityToken: undefined } }],
    ['default', {}, { kind: 'default' }],
    ['ecs-ram-role', {}, { kind: 'ecs-ram-role', roleName: undefined }],
    ['ecs-ram-role:EciRelayRole', {}, { kind: 'ecs-ram-role', roleName: 'EciRelayRole' }],
    ['uri:https://creds.example.com/ecigw', {}, { kind: 'uri', url: 'https://creds.example.com/ecigw' }],
    ['uri:http://127.0.0.1:8181/creds', {}, { kind: 'uri', url: 'http://127.0.0.1:8181/creds' }],
    [`ram-role-arn:${ROLE}`, {}, { kind: 'ram-role-arn', roleArn: ROLE, source: { kind: 'default' }, sessionName: undefined, externalId: undefined, durationSeconds: undefined, stsEndpoint: undefined }],
    [
      `ram-role-arn:${ROLE}?source=env:ECI&sessionName=relay-1&externalId=abc123&durationSeconds=3600&stsEndpoint=sts-vpc.cn-hangzhou.aliyuncs.com`,
      env,
      { kind: 'ram-role-arn', roleArn: ROLE, source: { kind: 'static', keys: { accessKeyId: 'LTAI-env', accessKeySecret: 'env-secret', securityToken: undefined } }, sessionName: 'relay-1', externalId: 'abc123', durationSeconds: 3600, stsEndpoint: 'sts-vpc.cn-hangzhou.aliyuncs.com' },
    ],
    ['oidc', rrsaEnv, { kind: 'oidc', roleArn: ROLE, providerArn: OIDC, tokenFile, sessionName: undefined, durationSeconds: undefined, stsEndpoint: undefined }],
    [`oidc:${ROLE}?providerArn=${OIDC}&tokenFile=${tokenFile}&sessionName=relay`, {}, { kind: 'oidc', roleArn: ROLE, providerArn: OIDC, tokenFile, sessionName: 'relay', durationSeconds: undefined, stsEndpoint: undefined }],
  ];
  for (const [ref, e, want] of table) {
    t.deepEqual(parseCredentialsRef(ref, e), want, ref);
    t.is(typeof credentialFor(ref, { ...e }).getCredential, 'function', ref);
  }
  // A static form hands the SDK exactly its keys.
  t.like(await credentialFor('env:STS', env).getCredential(), { accessKeyId: 'STS.x', accessKeySecret: 's', securityToken: 'tok' });
  t.deepEqual(resolveCredentials(`file:${keyFile}`, {}), { accessKeyId: 'LTAI-file', accessKeySecret: 'file-secret', securityToken: undefined });
});

test('bad refs are refused with a message naming the problem and the fix', (t) => {
  const table: [ref: string, env: NodeJS.ProcessEnv, message: RegExp][] = [
    ['vault:x', {}, /must start with env: or file:, or be one of the refreshing forms; the forms are env:PREFIX.*oidc/],
    ['env:ECI', {}, /set ECI_ACCESS_KEY_ID and ECI_ACCESS_KEY_SECRET/],
    ['env:1BAD', {}, /prefix must be an environment variable name/],
    [`file:${join(dir, 'missing.json')}`, {}, /cannot read JSON credentials/],
    [`file:${tokenFile}`, {}, /cannot read JSON credentials/],
    ['default:x', {}, /"default" takes no argument/],
    ['ecs-ram-role:bad role', {}, /RAM role name must be/],
    ['uri:not a url', {}, /absolute URL/],
    ['uri:http://creds.example.com/x', {}, /use https, or http only on a loopback address/],
    ['uri:https://user:pw@creds.example.com/x', {}, /must not embed a user or password/],
    ['ram-role-arn:arn:aws:iam::1:role/x', {}, /acs:ram::<account id>:role\/<role name>/],
    [`ram-role-arn:${ROLE}?source=vault:x`, {}, /source must be env:PREFIX, file:\/path or default/],
    [`ram-role-arn:${ROLE}?source=env:NOPE`, {}, /set NOPE_ACCESS_KEY_ID/],
    [`ram-role-arn:${ROLE}?durationSeconds=60`, {}, /durationSeconds must be an integer from 900/],
    [`ram-role-arn:${ROLE}?roleSessionName=x`, {}, /unknown option "roleSessionName"/],
    [`ram-role-arn:${ROLE}?stsEndpoint=https://sts`, {}, /stsEndpoint must be host\[:port\]/],
    ['oidc', {}, /ALIBABA_CLOUD_ROLE_ARN/],
    ['oidc', { ...rrsaEnv, ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'x' }, /providerArn .*oidc-provider/],
    ['oidc', { ...rrsaEnv, ALIBABA_CLOUD_OIDC_TOKEN_FILE: undefined }, /tokenFile .*is required/],
    ['oidc', { ...rrsaEnv, ALIBABA_CLOUD_OIDC_TOKEN_FILE: join(dir, 'nope') }, /OIDC token file .* is not readable/],
  ];
  for (const [ref, e, message] of table) {
    const err = t.throws(() => credentialFor(ref, e), { instanceOf: CredentialsError }, ref);
    t.regex(err.message, message, ref);
    t.true(err.message.startsWith(`credentialsRef ${JSON.stringify(ref)}: `), 'names the ref');
  }
  t.throws(() => resolveCredentials('default', {}), { message: /refreshing form \(default\); it has no static AccessKey/ });
});
