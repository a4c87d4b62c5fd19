// Kubelet API URL routing and query parsing (pure): which handler a path selects, and the
// PodLogOptions the kubelet accepts on /containerLogs, validated like the apiserver does.
import type { PodLogOptions } from './backend.js';

export type Route =
  | { kind: 'exec' | 'attach'; namespace: string; pod: string; uid?: string; container: string }
  | { kind: 'portForward'; namespace: string; pod: string; uid?: string }
  | { kind: 'containerLogs'; namespace: string; pod: string; container: string }
  | { kind: 'statsSummary' }
  | { kind: 'metrics' }
  | { kind: 'metricsResource' }
  | { kind: 'metricsCadvisor' }
  | { kind: 'pods' }
  | { kind: 'healthz' };

export function route(pathname: string): Route | undefined {
  let segs: string[];
  try {
    segs = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const [head, ...rest] = segs;
  switch (head) {
    case 'exec':
    case 'attach':
      if (rest.length === 3) return { kind: head, namespace: rest[0], pod: rest[1], container: rest[2] };
      if (rest.length === 4) return { kind: head, namespace: rest[0], pod: rest[1], uid: rest[2], container: rest[3] };
      return undefined;
    case 'portForward':
      if (rest.length === 2) return { kind: 'portForward', namespace: rest[0], pod: rest[1] };
      if (rest.length === 3) return { kind: 'portForward', namespace: rest[0], pod: rest[1], uid: rest[2] };
      return undefined;
    case 'containerLogs':
      return rest.length === 3 ? { kind: 'containerLogs', namespace: rest[0], pod: rest[1], container: rest[2] } : undefined;
    case 'stats':
      return rest.length === 1 && rest[0] === 'summary' ? { kind: 'statsSummary' } : undefined;
    case 'metrics':
      if (rest.length === 0) return { kind: 'metrics' };
      if (rest.length !== 1) return undefined;
      return rest[0] === 'resource' ? { kind: 'metricsResource' } : rest[0] === 'cadvisor' ? { kind: 'metricsCadvisor' } : undefined;
    case 'pods':
      return rest.length === 0 ? { kind: 'pods' } : undefined;
    case 'healthz':
      return rest.length === 0 ? { kind: 'healthz' } : undefined;
    default:
      return undefined;
  }
}

function bool(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`invalid boolean ${JSON.stringify(v)}`);
}

function int(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw new Error(`${name}: invalid integer ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name}: must be greater than or equal to ${min}`);
  return n;
}

/** Parses and validates /containerLogs query options; throws with a user-facing message. */
export function parseLogOptions(q: URLSearchParams): PodLogOptions {
  const o: PodLogOptions = {
    follow: bool(q.get('follow')),
    previous: bool(q.get('previous')),
    timestamps: bool(q.get('timestamps')),
    tailLines: int(q, 'tailLines', 0),
    limitBytes: int(q, 'limitBytes', 1),
    sinceSeconds: int(q, 'sinceSeconds', 1),
  };
  const since = q.get('sinceTime');
  if (since !== null) {
    if (Number.isNaN(Date.parse(since)) || !/^\d{4}-\d{2}-\d{2}T/.test(since)) throw new Error(`sinceTime: invalid RFC3339 time ${JSON.stringify(since)}`);
    o.sinceTime = since;
  }
  if (o.sinceSeconds !== undefined && o.sinceTime !== undefined) throw new Error('at most one of sinceTime or sinceSeconds may be specified');
  return o;
}

/** Negotiates a stream protocol like httpstream.Handshake: first client protocol the server supports. */
export function negotiate(clientHeader: string | string[] | undefined, server: string[]): { protocol: string } | { error: string } {
  const client = (Array.isArray(clientHeader) ? clientHeader : [clientHeader ?? ''])
    .flatMap((h) => h.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (client.length === 0) return { protocol: '' };
  const p = client.find((c) => server.includes(c));
  if (p) return { protocol: p };
  return { error: `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(client)}, server accepts ${JSON.stringify(server)}` };
}
