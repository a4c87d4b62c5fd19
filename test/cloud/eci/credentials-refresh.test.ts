// ECI credentials that expire are refreshed: a local credentials-URI server (the `credentials_uri` provider of
// @alicloud/credentials, as a sidecar would serve it) hands out STS triples that live 3 s and rotates them
// 1.5 s before they expire, registering each with the emulator, which accepts a key only with its security
// token and only until it expires. The relay's ECI side (createEciBackend, credentialsRef `uri:`) keeps
// creating and listing groups across several rotations without a single refused attempt, while a relay pinned
// to the first triple (the only STS form before: env:/file: with a security token) is refused once it expires.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { createEciBackend } from '../../../cloud/eci/index.js';
import { credentialFor } from '../../../cloud/eci/credentials.js';
import { $Eci, newEciClient, runtimeOptions } from '../../../cloud/eci/sdk.js';
import { eventually } from '../../helpers/wait.js';
import { intentOf, scopeOf, uidOf } from './provider/fixtures.js';

const LIFETIME_MS = 3000;
const ROTATE_BEFORE_MS = 1500;

interface Issued {
  id: string;
  secret: string;
  token: string;
  expiresAt: number;
}

/** The credentials-URI sidecar: the current STS triple, a new one when the current has < 1.5 s left. */
class StsIssuer {
  readonly issued: Issued[] = [];
  readonly served: string[] = [];
  server?: Server;
  constructor(private readonly emu: EmulatorHandle) {}

  private current(): Issued {
    const now = Date.now();
    let k = this.issued.at(-1);
    if (!k || k.expiresAt - now < ROTATE_BEFORE_MS) {
      k = { id: `STS.${randomBytes(8).toString('hex')}`, secret: randomBytes(16).toString('hex'), token: `CAIS${randomBytes(24).toString('base64url')}`, expiresAt: now + LIFETIME_MS };
      // What STS would tell ECI: this key, with this token, until then.
      this.emu.admin.configure({ stsKeys: { [k.id]: { accessKeySecret: k.secret, securityToken: k.token, expiration: new Date(k.expiresAt).toISOString() } } });
      this.issued.push(k);
    }
    return k;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const k = this.current();
      this.served.push(k.id);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Code: 'Success', AccessKeyId: k.id, AccessKeySecret: k.secret, SecurityToken: k.token, Expiration: new Date(k.expiresAt).toISOString() }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/credentials`;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 30, pendingMs: 0 } } });
});
test.after.always(() => emu?.close());

/** One DescribeContainerGroups with a fixed key triple, through the unmodified SDK; the error code or 'OK'. */
async function describeWith(k: { id: string; secret: string; token?: string }): Promise<string> {
  const client = newEciClient({ endpoint: emu.endpoint, protocol: 'http', regionId: emu.regionId, accessKeyId: k.id, accessKeySecret: k.secret, securityToken: k.token, timeoutMs: 5000 });
  try {
    await client.describeContainerGroupsWithOptions(new $Eci.DescribeContainerGroupsRequest({ regionId: emu.regionId, limit: 1 }), runtimeOptions(5000));
    return 'OK';
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
}

test.serial('the relay keeps calling ECI across STS rotations from a credentials URI; the expired key is refused', async (t) => {
  const issuer = new StsIssuer(emu);
  const url = await issuer.start();
  t.teardown(() => issuer.close());
  const scope = scopeOf('t-sts', 'cluster-sts');
  scope.tenant.credentialsRef = `uri:${url}`;
  const backend = createEciBackend({ connection: { endpoint: emu.endpoint, protocol: 'http', timeoutMs: 5000 }, provider: { pollFastMs: 100, pollSlowMs: 1000 } });
  t.teardown(() => backend.provider.close());
  emu.admin.resetStats();

  const failures: string[] = [];
  const applied: string[] = [];
  const okAt: number[] = [];
  // Each round creates a group and lists the cluster (a reconcile); rounds go on until the first key has expired
  // and a third one was issued. Bounded by the wait's deadline (and so in count).
  await eventually(
    'calls across two rotations, past the first key’s expiry',
    async () => {
      const uid = uidOf(applied.length, '5757a5a5');
      try {
        await backend.provider.apply(scope, intentOf(uid, 1, `sts-${applied.length}`));
        applied.push(uid);
        await backend.provider.reconcile(scope, applied.map((u) => ({ uid: u, generation: 1 })));
        okAt.push(Date.now());
      } catch (err) {
        failures.push((err as Error).message);
      }
      const first = issuer.issued[0];
      return issuer.issued.length >= 3 && first !== undefined && okAt.some((x) => x > first.expiresAt + 200);
    },
    30_000,
    150,
  );
  t.deepEqual(failures, [], 'no relay call failed');
  const caller = backend.callers()[0];
  t.deepEqual(caller.stats().errorsByCode, {}, 'not even a retried attempt was refused');
  t.is(Object.keys(emu.admin.stats().errorsByCode).filter((c) => /SecurityToken|AccessKey|Signature/.test(c)).length, 0);
  t.true(new Set(issuer.served).size >= 3, 'the relay fetched the rotated keys');
  t.log(`${applied.length} rounds, ${issuer.issued.length} keys issued, ${issuer.served.length} credential fetches, ${caller.stats().attemptsByAction.CreateContainerGroup} creates`);
  const first = issuer.issued[0];
  t.true(okAt.filter((x) => x > first.expiresAt).length >= 1, 'calls succeeded after the first key had expired');
  t.is(emu.admin.listGroups().filter((g) => g.name.startsWith('default-sts-')).length, applied.length, 'one group per round');

  // The refresh was necessary: the first triple, used as a fixed STS key (env:/file: with a security token,
  // the only STS form before), is refused now; the key the issuer serves now works.
  const pinnedEnv = { OLD_ACCESS_KEY_ID: first.id, OLD_ACCESS_KEY_SECRET: first.secret, OLD_SECURITY_TOKEN: first.token };
  const pinned = createEciBackend({ connection: { endpoint: emu.endpoint, protocol: 'http', timeoutMs: 5000 }, credentials: (s) => credentialFor(s.tenant.credentialsRef, pinnedEnv) });
  t.teardown(() => pinned.provider.close());
  const pinnedScope = { ...scopeOf('t-sts-pinned', 'cluster-sts'), tenant: { ...scopeOf('t-sts-pinned', 'cluster-sts').tenant, credentialsRef: 'env:OLD' } };
  const refused = await t.throwsAsync(pinned.provider.list(pinnedScope));
  t.regex(refused.message, /InvalidSecurityToken\.Expired/);
  t.is(await describeWith({ id: first.id, secret: first.secret, token: first.token }), 'InvalidSecurityToken.Expired');
  const now = issuer.issued.at(-1)!;
  if (now.expiresAt - Date.now() > 500) t.is(await describeWith({ id: now.id, secret: now.secret, token: now.token }), 'OK');
  // A valid temporary key without its token, or with another one, is refused too.
  t.is(await describeWith({ id: now.id, secret: now.secret }), 'InvalidSecurityToken.MismatchWithAccessKey');
  t.is(await describeWith({ id: now.id, secret: now.secret, token: first.token }), 'InvalidSecurityToken.MismatchWithAccessKey');

  for (const uid of applied) await backend.provider.delete(scope, uid, 0);
  await eventually('cleaned', () => emu.admin.listGroups().filter((g) => g.name.startsWith('default-sts-')).length === 0, 30_000, 100);
});
