// The node certificate's store on disk: the current pair in one 0600 PEM file replaced atomically (no
// temporary files left), the pending key of a request that still waits, and a directory created 0700.
import test from 'ava';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirCertStore, MemoryCertStore, CURRENT_FILE, PENDING_KEY_FILE, type CertStore } from '../../../../agent/kube/node-identity/cert-store.js';
import { generateNodeKey } from '../../../../agent/kube/node-identity/csr.js';

const mode = (p: string) => statSync(p).mode & 0o777;

test('the directory store keeps the pair in one 0600 file, replaced atomically, and reads it back', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ecigw-certstore-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'pki');
  const store = new DirCertStore(dir);
  t.is(mode(dir), 0o700);
  t.is(store.loadCurrent(), undefined);
  const k1 = await generateNodeKey();
  const k2 = await generateNodeKey();
  const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  store.saveCurrent(cert, k1);
  store.saveCurrent(cert, k2);
  t.is(mode(join(dir, CURRENT_FILE)), 0o600);
  t.deepEqual(readdirSync(dir), [CURRENT_FILE], 'no temporary files left behind');
  const back = store.loadCurrent();
  t.true(back?.key.spki.equals(k2.spki), 'the newest pair');
  t.is(back?.certPem, cert);
  t.regex(readFileSync(join(dir, CURRENT_FILE), 'utf8'), /END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----/);

  t.is(store.loadPendingKey(), undefined);
  store.savePendingKey(k1);
  t.is(mode(join(dir, PENDING_KEY_FILE)), 0o600);
  t.true(store.loadPendingKey()?.spki.equals(k1.spki));
  store.clearPendingKey();
  t.is(store.loadPendingKey(), undefined);

  // A file without a key (or cut short) is "nothing stored", not a crash.
  writeFileSync(join(dir, CURRENT_FILE), cert);
  t.is(store.loadCurrent(), undefined);
});

test('the memory store keeps nothing', async (t) => {
  const store: CertStore = new MemoryCertStore();
  store.saveCurrent('x', await generateNodeKey());
  store.savePendingKey(await generateNodeKey());
  t.is(store.loadCurrent(), undefined);
  t.is(store.loadPendingKey(), undefined);
  t.is(store.where, 'memory');
});
