// Keeps one LocalCluster alive for a whole test run so every ava worker shares it.
// Usage: daemon.ts <runDir> <watchPid>. Writes <runDir>/info.json when ready (or error.txt), and stops
// the cluster when <watchPid> (ava's main process) is gone or on SIGTERM/SIGINT.
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCluster, ensureBinaries, ensureKubeProxy } from './cluster.js';
import { isAlive as alive } from './pids.js';

const [runDir, watchPidArg] = process.argv.slice(2);
const watchPid = Number(watchPidArg);
const cluster = new LocalCluster();
let stopping: Promise<void> | undefined;

/** Stops the cluster once, however many times it is asked (signal, watcher), then exits. */
function shutdown(code: number): Promise<void> {
  clearInterval(watch);
  stopping ??= cluster
    .stop()
    .catch(() => undefined)
    .then(() => {
      rmSync(runDir, { recursive: true, force: true });
      process.exit(code);
    });
  return stopping;
}

process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
const watch = setInterval(() => {
  if (!alive(watchPid)) void shutdown(0);
}, 500);

try {
  const bin = await ensureBinaries();
  // Built here, before any test waits on it, rather than in the test that runs it (a cold build takes minutes).
  bin.kubeProxy = await ensureKubeProxy();
  const info = await cluster.start({ dir: join(runDir, 'cluster'), bin });
  writeFileSync(join(runDir, 'pids.json'), JSON.stringify(info.pids));
  writeFileSync(join(runDir, 'info.json.tmp'), JSON.stringify(info));
  rmSync(join(runDir, 'info.json'), { force: true });
  const { renameSync } = await import('node:fs');
  renameSync(join(runDir, 'info.json.tmp'), join(runDir, 'info.json'));
} catch (e) {
  writeFileSync(join(runDir, 'error.txt'), e instanceof Error ? (e.stack ?? e.message) : String(e));
  clearInterval(watch);
  await cluster.stop({ keepDir: true }).catch(() => undefined);
  // Leave error.txt for the waiting workers, then go; the next run's stale sweep removes the directory.
  process.exit(1);
}
