// Process liveness for the cluster's bookkeeping (signal 0 probes without delivering anything).

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
