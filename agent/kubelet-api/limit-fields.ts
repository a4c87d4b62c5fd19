// The agent config fields of the kubelet API's session caps (kubelet.max*), declared once here and spliced
// into the agent's AGENT_FIELDS, and the SessionLimits they configure.
import type { ConfigValues, Field } from '../../common/config.js';
import { DEFAULT_SESSION_LIMITS as D, LIMIT_KEYS, type SessionLimits } from './session-limits.js';

const count = (min: number) => (v: unknown) => (Number.isInteger(v) && (v as number) >= min && (v as number) <= 100_000 ? undefined : `must be a whole number from ${min} to 100000, got ${JSON.stringify(v)}`);

export const KUBELET_LIMIT_FIELDS: Field[] = [
  { path: LIMIT_KEYS.maxSessions, type: 'number', env: 'ECIGW_KUBELET_MAX_SESSIONS', flag: 'kubelet-max-sessions', default: D.maxSessions, describe: 'streaming sessions (exec, attach, port-forward, logs) open at once on the kubelet API; more get 429', check: count(1) },
  { path: LIMIT_KEYS.maxSessionsPerCaller, type: 'number', env: 'ECIGW_KUBELET_MAX_SESSIONS_PER_CALLER', flag: 'kubelet-max-sessions-per-caller', default: D.maxSessionsPerCaller, describe: 'streaming sessions one authenticated identity may hold (the API server, which proxies every kubectl user, is one identity)', check: count(1) },
  { path: LIMIT_KEYS.exec, type: 'number', env: 'ECIGW_KUBELET_MAX_EXEC_SESSIONS', flag: 'kubelet-max-exec-sessions', default: D.maxPerKind.exec, describe: 'exec sessions open at once', check: count(1) },
  { path: LIMIT_KEYS.attach, type: 'number', env: 'ECIGW_KUBELET_MAX_ATTACH_SESSIONS', flag: 'kubelet-max-attach-sessions', default: D.maxPerKind.attach, describe: 'attach sessions open at once', check: count(1) },
  { path: LIMIT_KEYS.portforward, type: 'number', env: 'ECIGW_KUBELET_MAX_PORTFORWARD_SESSIONS', flag: 'kubelet-max-portforward-sessions', default: D.maxPerKind.portforward, describe: 'port-forward sessions open at once', check: count(1) },
  { path: LIMIT_KEYS.logs, type: 'number', env: 'ECIGW_KUBELET_MAX_LOG_STREAMS', flag: 'kubelet-max-log-streams', default: D.maxPerKind.logs, describe: 'container log requests (kubectl logs, -f) open at once', check: count(1) },
  { path: LIMIT_KEYS.maxStreamsPerSession, type: 'number', env: 'ECIGW_KUBELET_MAX_STREAMS_PER_SESSION', flag: 'kubelet-max-streams-per-session', default: D.maxStreamsPerSession, describe: 'SPDY streams one session may have open; more are refused (RST_STREAM REFUSED_STREAM)', check: count(5) },
  { path: LIMIT_KEYS.maxPortForwardPairs, type: 'number', env: 'ECIGW_KUBELET_MAX_PORTFORWARD_PAIRS', flag: 'kubelet-max-portforward-pairs', default: D.maxPortForwardPairs, describe: 'forwarded connections one port-forward session may have open; more are refused', check: count(1) },
];

/** The SessionLimits of validated agent config values. */
export function sessionLimitsFromConfig(v: ConfigValues): SessionLimits {
  const n = (k: string) => v[k] as number;
  return {
    maxSessions: n(LIMIT_KEYS.maxSessions),
    maxSessionsPerCaller: n(LIMIT_KEYS.maxSessionsPerCaller),
    maxPerKind: { exec: n(LIMIT_KEYS.exec), attach: n(LIMIT_KEYS.attach), portforward: n(LIMIT_KEYS.portforward), logs: n(LIMIT_KEYS.logs) },
    maxStreamsPerSession: n(LIMIT_KEYS.maxStreamsPerSession),
    maxPortForwardPairs: n(LIMIT_KEYS.maxPortForwardPairs),
  };
}
