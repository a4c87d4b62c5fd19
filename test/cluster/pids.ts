// Process liveness for the cluster's bookkeeping (signal 0 probes without delivering anything), the
// process tree below a pid (from /proc, Linux), which kill tests snapshot before they strike, and the stop of
// a detached child's process group.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every live process whose parent chain leads to `root` (detached children included), at this moment. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * Stops a child started detached (its own process group): SIGTERM to the group, SIGKILL after `graceMs`;
 * resolves once it exited (at once if it already had).
 */
export async function stopProcessGroup(c: ChildProcess | undefined, graceMs = 5000): Promise<void> {
  if (!c?.pid || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(c.pid as number), sig);
    } catch {
      /* gone */
    }
  };
  kill('SIGTERM');
  const t = setTimeout(() => kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}
