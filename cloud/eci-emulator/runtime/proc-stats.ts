// Reads CPU time and memory of a process group from /proc (Linux): utime+stime in ns, RSS in bytes.
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100;
const PAGE = 4096;

interface ProcUsage {
  cpuNs: number;
  rssBytes: number;
  pids: number[];
}

/** Sums every live process whose process group id is `pgid` (a detached child leads its own group). */
export function processGroupUsage(pgids: Set<number>): Map<number, ProcUsage> {
  const out = new Map<number, ProcUsage>();
  for (const g of pgids) out.set(g, { cpuNs: 0, rssBytes: 0, pids: [] });
  if (pgids.size === 0) return out;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0]=state, [2]=pgrp, [11]=utime, [12]=stime, [21]=rss (pages)
    const pgrp = Number(rest[2]);
    const u = out.get(pgrp);
    if (!u || rest[0] === 'Z') continue;
    u.pids.push(Number(e));
    u.cpuNs += ((Number(rest[11]) + Number(rest[12])) * 1e9) / CLK_TCK;
    u.rssBytes += Number(rest[21]) * PAGE;
  }
  return out;
}
