// Ties process groups to the life of this process, however it ends (SIGKILL included): a watcher process
// (reaper-watch.mjs, in its own session) holds a pipe from us and, when the pipe closes, signals every group
// we adopted and did not release. Used for the local cluster's processes and the demo's emulator.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const WATCHER = fileURLToPath(new URL('./reaper-watch.mjs', import.meta.url));
/** How long adopted groups get between SIGTERM and SIGKILL once we are gone. */
const GRACE_MS = 10_000;

let watcher: ChildProcess | undefined;

function send(line: string): void {
  if (!watcher) {
    watcher = spawn(process.execPath, [WATCHER, String(GRACE_MS)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    // Neither the watcher nor our end of its pipe keeps this process alive; the pipe closes when we exit.
    watcher.unref();
    (watcher.stdin as Socket).unref();
    watcher.stdin?.on('error', () => undefined);
  }
  watcher.stdin?.write(`${line}\n`);
}

/**
 * Kills `child`'s process group (it must be spawned `detached: true`, so it leads its own group) if this
 * process dies before the child exits; an exited child is released at once.
 */
export function adoptGroup(child: ChildProcess): void {
  const pgid = child.pid;
  if (!pgid) return;
  send(`+${pgid}`);
  child.once('exit', () => send(`-${pgid}`));
}
