// Readiness reports of a process (/readyz): named checks that gate readiness, plus lines that only inform
// (e.g. "role: standby"). Rendered like kube-apiserver's verbose /readyz: one "[+]name ok" or
// "[-]name failed: why" line per check, the informative lines, then the verdict. Pure.

interface ReadinessCheck {
  name: string;
  ok: boolean;
  /** What was seen, e.g. "connected" or "tunnel disconnected since 12:00:01Z: connect ECONNREFUSED". */
  detail: string;
}

export interface Readiness {
  checks: ReadinessCheck[];
  /** Lines that are reported but do not gate readiness (e.g. the leader-election role). */
  info?: Record<string, string>;
}

function isReady(r: Readiness): boolean {
  return r.checks.every((c) => c.ok);
}

/** The HTTP status and text body of /readyz for a report. */
export function renderReadiness(r: Readiness): { status: 200 | 503; body: string } {
  const lines = r.checks.map((c) => (c.ok ? `[+]${c.name} ok: ${c.detail}` : `[-]${c.name} failed: ${c.detail}`));
  for (const [k, v] of Object.entries(r.info ?? {})) lines.push(`${k}: ${v}`);
  const ready = isReady(r);
  lines.push(ready ? 'readyz check passed' : 'readyz check failed');
  return { status: ready ? 200 : 503, body: lines.join('\n') + '\n' };
}
