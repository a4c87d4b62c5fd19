// Where the CPU goes during one measured transfer: every process's CPU time (its own and its reaped
// children's, from /proc/<pid>/stat) before and after, labelled by role. On 2 cores a stream through the API
// server is CPU-bound, so CPU seconds per GiB per process says which hop costs what.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Roles by a distinctive part of the command line; anything else is named by its comm. */
const ROLES: [RegExp, string][] = [
  [/agent\/cli\.js|gateway-agent/, 'agent'],
  [/relay\/cli\.js|gateway-relay/, 'relay'],
  [/eci-emulator/, 'emulator (+ its execs)'],
  [/kube-apiserver/, 'kube-apiserver'],
  [/kubelet-streaming/, 'kubelet-streaming'],
  [/\bkube etcd\b|etcd --data-dir/, 'etcd'],
  [/bench\/run\.ts/, 'bench (+ probes, kubectl)'],
];

type Snapshot = Map<number, { role: string; ticks: number }>;

function role(pid: number, comm: string): string {
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return comm;
  }
  return ROLES.find(([re]) => re.test(cmd))?.[1] ?? comm;
}

export function cpuSnapshot(): Snapshot {
  const snap: Snapshot = new Map();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // Fields after the comm start at state (3); utime 14, stime 15, cutime 16, cstime 17.
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    snap.set(pid, { role: role(pid, comm), ticks });
  }
  return snap;
}

/** CPU seconds per GiB moved, per role, largest first (processes alive in both snapshots). */
export function cpuPerGiB(before: Snapshot, after: Snapshot, bytes: number): { role: string; secondsPerGiB: number }[] {
  const byRole = new Map<string, number>();
  for (const [pid, a] of after) {
    const b = before.get(pid);
    if (!b || a.ticks <= b.ticks) continue;
    byRole.set(a.role, (byRole.get(a.role) ?? 0) + (a.ticks - b.ticks) / TICKS_PER_SECOND);
  }
  const gib = bytes / (1 << 30);
  return [...byRole].map(([r, s]) => ({ role: r, secondsPerGiB: s / gib })).sort((x, y) => y.secondsPerGiB - x.secondsPerGiB);
}

export function formatCpu(rows: { role: string; secondsPerGiB: number }[]): string {
  return rows.filter((r) => r.secondsPerGiB >= 0.05).map((r) => `${r.role} ${r.secondsPerGiB.toFixed(2)}`).join(', ');
}
