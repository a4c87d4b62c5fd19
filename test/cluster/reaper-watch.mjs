// The reaper's watcher (see reaper.ts): a plain Node process (no tsx, starts in milliseconds) in its own
// session whose stdin is a pipe from its owner. The owner writes `+<pgid>` when it starts a process group
// and `-<pgid>` when that group is gone. When stdin closes, the owner is gone (exited, crashed or SIGKILLed:
// the kernel closes its end), and every group still listed gets SIGTERM, then SIGKILL after a grace period.
import { createInterface } from 'node:readline';

const graceMs = Number(process.argv[2] ?? 10_000);
const groups = new Set();

const alive = (pgid) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};
const signal = (pgid, sig) => {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
};

function reap() {
  for (const g of groups) signal(g, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  const tick = setInterval(() => {
    const left = [...groups].filter(alive);
    if (left.length === 0 || Date.now() > deadline) {
      for (const g of left) signal(g, 'SIGKILL');
      clearInterval(tick);
      process.exit(0);
    }
  }, 100);
}

// The owner's own signals (a Ctrl-C to its terminal's process group) must not stop the watcher: it runs in
// its own session, and ignores SIGINT/SIGHUP should one still reach it.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const pgid = Number(line.slice(1));
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  if (line[0] === '+') groups.add(pgid);
  else if (line[0] === '-') groups.delete(pgid);
});
lines.on('close', reap);
