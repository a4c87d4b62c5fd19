// The emulator is safe to leave running: its admin API needs the admin token, refuses browsers (the
// cross-site text/plain POST that used to turn signature checking off) and non-JSON writes, and it will not
// bind a non-loopback address unless told to, and then not with the built-in key pair.
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ACCESS_KEY, ExposureError, startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';

let h: EmulatorHandle;
test.before(async () => {
  h = await startEmulator({ runtime: 'simulated' });
});
test.after.always(async () => h?.close());

/** An unsigned OpenAPI call: answered with a signature error while verification is on. */
async function unsignedCall(): Promise<{ status: number; code: string }> {
  const r = await fetch(`${h.url}/?Action=DescribeContainerGroups&Version=2018-08-08&RegionId=cn-hangzhou`, { method: 'POST' });
  return { status: r.status, code: ((await r.json()) as { Code?: string }).Code ?? '' };
}

test.serial('a cross-site text/plain POST cannot turn signature checking off', async (t) => {
  const before = await unsignedCall();
  t.is(before.status, 400, 'an unsigned call is refused while verification is on');
  // What a page on any web site can make a browser send to 127.0.0.1 without a CORS preflight.
  const attack = await fetch(`${h.url}/__admin/config`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
    body: JSON.stringify({ signature: { verify: false } }),
  });
  t.is(attack.status, 403);
  t.regex(((await attack.json()) as { error: string }).error, /browser/);
  t.true(h.admin.configure({}).signature.verify, 'verification still on');
  t.deepEqual(await unsignedCall(), before, 'unsigned calls are still refused the same way');
});

test.serial('admin calls need the admin token; writes need application/json', async (t) => {
  const json = { 'content-type': 'application/json' };
  const none = await fetch(`${h.url}/__admin/stats`);
  t.is(none.status, 401);
  t.regex(((await none.json()) as { error: string }).error, /Authorization: Bearer/);
  const wrong = await fetch(`${h.url}/__admin/faults`, { method: 'POST', headers: { ...json, authorization: 'Bearer not-the-token' }, body: JSON.stringify({ DeleteContainerGroup: { errorRate: 1 } }) });
  t.is(wrong.status, 401);
  t.deepEqual(h.admin.configure({}).faults, {}, 'the refused call changed nothing');
  const auth = { authorization: `Bearer ${h.adminToken}` };
  const plain = await fetch(`${h.url}/__admin/config`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: JSON.stringify({ signature: { verify: false } }) });
  t.is(plain.status, 415);
  t.true(h.admin.configure({}).signature.verify);
  const fetchSite = await fetch(`${h.url}/__admin/stats`, { headers: { ...auth, 'sec-fetch-site': 'cross-site' } });
  t.is(fetchSite.status, 403);
  const ok = await fetch(`${h.url}/__admin/stats`, { headers: auth });
  t.is(ok.status, 200);
  t.is(typeof ((await ok.json()) as { requests: number }).requests, 'number');
  const set = await fetch(`${h.url}/__admin/max-groups`, { method: 'POST', headers: { ...auth, ...json }, body: '7' });
  t.is(set.status, 200);
  t.is(h.admin.configure({}).maxGroups, 7);
  h.admin.setMaxGroups(0);
});

test('the library refuses a non-loopback bind unless allowed, and then refuses the default key pair', async (t) => {
  const refused = await t.throwsAsync(startEmulator({ host: '0.0.0.0', runtime: 'simulated' }), { instanceOf: ExposureError });
  t.is(refused?.option, 'allowNonLoopback');
  const defaults = await t.throwsAsync(startEmulator({ host: '0.0.0.0', runtime: 'simulated', allowNonLoopback: true }), { instanceOf: ExposureError });
  t.is(defaults?.option, 'accessKeys');
  const explicitDefault = await t.throwsAsync(startEmulator({ host: '0.0.0.0', runtime: 'simulated', allowNonLoopback: true, accessKeys: [DEFAULT_ACCESS_KEY] }), { instanceOf: ExposureError });
  t.is(explicitDefault?.option, 'accessKeys');
});

test('the CLI exits 2 naming the flag for a non-loopback bind', async (t) => {
  const bin = fileURLToPath(new URL('../../../bin/eci-emulator.js', import.meta.url));
  const run = async (args: string[]) => {
    const p = spawn(process.execPath, [bin, '--runtime', 'simulated', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    const [code] = (await once(p, 'exit')) as [number | null];
    return { code, err };
  };
  const bare = await run(['--host', '0.0.0.0']);
  t.is(bare.code, 2);
  t.regex(bare.err, /--host: .*--allow-non-loopback/);
  const keys = await run(['--host', '0.0.0.0', '--allow-non-loopback']);
  t.is(keys.code, 2);
  t.regex(keys.err, /--access-key-id: .*default access key pair/);
  const token = await run(['--admin-token', 'short']);
  t.is(token.code, 2);
  t.regex(token.err, /--admin-token/);
});
