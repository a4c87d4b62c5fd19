// The reaper ties process groups to their owner's life: an owner process adopts detached process groups
// (each a shell with a child of its own), then is SIGKILLed, so none of its cleanup code runs; every
// process it started, the watcher included, is gone soon after. The same for the test fixture: the
// cluster daemon (daemon.ts) SIGKILLed leaves no etcd, API server, controller manager or scheduler.
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/wait.js';
import { descendants, isAlive } from './pids.js';

const REAPER = fileURLToPath(new URL('./reaper.ts', import.meta.url));

// The owner: adopts two detached groups, starts a third it releases when that one exits on its own, and
// prints the pids; then waits to be killed.
const OWNER = `
import { spawn } from 'node:child_process';
import { adoptGroup } from ${JSON.stringify(REAPER)};
const group = (script) => spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
const a = group('sleep 600 & wait');
const b = group('trap "" TERM; sleep 600 & wait'); // ignores SIGTERM: needs the SIGKILL after the grace period
const c = group('exit 0');
for (const x of [a, b, c]) adoptGroup(x);
c.once('exit', () => process.stdout.write(JSON.stringify({ a: a.pid, b: b.pid }) + '\\n'));
setInterval(() => undefined, 1000);
`;

test('SIGKILL of the owner: every adopted group and the watcher die; nothing else it started is left', async (t) => {
  const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', OWNER], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => owner.kill('SIGKILL'));
  const [line] = (await once(owner.stdout, 'data')) as [Buffer];
  const pids = JSON.parse(line.toString()) as { a: number; b: number };
  // Before the kill: the groups (shells and their sleeps) and the watcher run below the owner.
  const tree = await eventually('both shells have started their sleep', () => {
    const d = descendants(owner.pid as number);
    return d.length >= 5 ? d : undefined; // 2 shells + 2 sleeps + the watcher
  }, 30_000);
  t.teardown(() => {
    for (const g of [pids.a, pids.b]) {
      try {
        process.kill(-g, 'SIGKILL'); // only when the test failed: the reaper has done it otherwise
      } catch {
        /* gone */
      }
    }
  });
  t.true(tree.includes(pids.a) && tree.includes(pids.b));
  owner.kill('SIGKILL');
  await once(owner, 'exit');
  t.true(tree.some(isAlive), 'the groups outlive the owner at first (nothing but the reaper kills them)');
  await eventually('every process the owner started is gone', () => tree.every((p) => !isAlive(p)), 60_000, 100);
  t.pass();
});

test('SIGKILL of the cluster daemon (the test fixture): its control plane dies with it', async (t) => {
  t.timeout(300_000);
  const runDir = mkdtempSync(join(tmpdir(), 'ecigw-reaper-daemon-'));
  // The daemon watches our pid (alive throughout), so only the reaper can stop its cluster after the kill.
  const daemon = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./daemon.ts', import.meta.url)), runDir, String(process.pid)], { stdio: 'ignore' });
  let pids: number[] = [];
  t.teardown(() => {
    daemon.kill('SIGKILL');
    for (const p of pids.filter(isAlive)) {
      try {
        process.kill(-p, 'SIGKILL'); // only when the test failed
      } catch {
        /* gone */
      }
    }
    rmSync(runDir, { recursive: true, force: true });
  });
  const info = join(runDir, 'info.json');
  await eventually('the daemon\'s cluster is up', () => existsSync(info) || existsSync(join(runDir, 'error.txt')), 240_000, 250);
  t.false(existsSync(join(runDir, 'error.txt')), 'the cluster started');
  pids = (JSON.parse(readFileSync(info, 'utf8')) as { pids: number[] }).pids;
  t.true(pids.length >= 4 && pids.every(isAlive), 'etcd, apiserver, controller manager and scheduler run');
  daemon.kill('SIGKILL');
  await once(daemon, 'exit');
  await eventually('the daemon\'s control plane is gone', () => pids.every((p) => !isAlive(p)), 60_000, 100);
  t.pass();
});
