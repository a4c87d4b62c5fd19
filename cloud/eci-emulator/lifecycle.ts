// Pure lifecycle rules shared by every runtime and the controller: restart decisions under a RestartPolicy,
// kubelet-style back-off, and the group status derived from its containers' states.
import type { ContainerStatus, GroupRecord, GroupStatus, RestartPolicy } from './model.js';

export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

/** Back-off before restart number `restarts` (0-based): initial * 2^n, capped. */
export function backoffMs(restarts: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(restarts, 30));
}

const finished = (c: ContainerStatus, policy: RestartPolicy): boolean =>
  c.current.state === 'Terminated' && !shouldRestart(policy, c.current.exitCode ?? 1);

/** Status of a scheduled group from its containers (Scheduling, deletion and terminal states are handled by the caller). */
export function deriveStatus(g: GroupRecord): GroupStatus {
  const policy = g.spec.restartPolicy;
  if (g.transition) {
    const initDone = g.initContainers.every((c) => c.current.state === 'Terminated' && c.current.exitCode === 0);
    const allUp = g.containers.every((c) => c.current.state === 'Running' || finished(c, policy));
    return initDone && allUp ? 'Running' : g.transition;
  }
  const initFailed = g.initContainers.some((c) => c.current.state === 'Terminated' && (c.current.exitCode ?? 0) !== 0 && policy === 'Never');
  if (initFailed) return 'Failed';
  const initDone = g.initContainers.every((c) => c.current.state === 'Terminated' && c.current.exitCode === 0);
  if (!initDone) return 'Pending';
  if (g.containers.length > 0 && g.containers.every((c) => finished(c, policy)))
    return g.containers.every((c) => c.current.exitCode === 0) ? 'Succeeded' : 'Failed';
  const running = g.containers.some((c) => c.current.state === 'Running');
  const restarting = g.containers.some((c) => c.restartCount > 0 || c.current.state === 'Terminated');
  return running || restarting ? 'Running' : 'Pending';
}
