// Proves the cluster tears down completely: a private LocalCluster is started and stopped, and afterwards
// none of its processes is alive, its ports are free and its directory is gone.
import test from 'ava';
import { mkdtempSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, ensureBinaries } from './cluster.js';
import { isAlive as alive } from './pids.js';

async function canBind(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('stop() leaves no process alive, no port bound and no temp files', async (t) => {
  const bin = await ensureBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-teardown-'));
  const cluster = new LocalCluster();
  t.teardown(() => cluster.stop());
  const info = await cluster.start({ dir, bin });
  t.true(info.pids.length >= 4, 'etcd, apiserver, controller manager and scheduler were started');
  t.true(info.pids.every(alive), 'all running before stop');
  t.false(await canBind(info.ports.apiserver), 'apiserver port is in use while running');
  await cluster.stop();
  t.deepEqual(info.pids.filter(alive), [], 'no process left alive');
  for (const [name, port] of Object.entries(info.ports)) t.true(await canBind(port), `${name} port ${port} is free`);
  t.false(existsSync(join(dir, 'cluster')) || existsSync(info.kubeconfigPath), 'temp files removed');
});
