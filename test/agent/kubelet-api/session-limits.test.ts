// The kubelet API's session caps (pure): which cap refuses first, the messages that name the config key,
// idempotent release, and the agent config fields that set them.
import test from 'ava';
import { SessionLimiter, isRefusal, checkLimits, DEFAULT_SESSION_LIMITS, type Lease, type Refusal, type SessionLimits } from '../../../agent/kubelet-api/session-limits.js';
import { KUBELET_LIMIT_FIELDS, sessionLimitsFromConfig } from '../../../agent/kubelet-api/limit-fields.js';
import { loadConfig, ConfigError } from '../../../common/config.js';

const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, maxSessions: 5, maxSessionsPerCaller: 3, maxPerKind: { exec: 2, attach: 1, portforward: 5, logs: 5 } };

test('caps refuse in order kind, caller, total; each refusal names its config key; release frees once', (t) => {
  const l = new SessionLimiter(limits);
  const take = (kind: 'exec' | 'attach' | 'portforward' | 'logs', who: string): Lease | Refusal => l.acquire(kind, who);
  const a1 = take('exec', 'apiserver') as Lease;
  take('exec', 'apiserver');
  const kind = take('exec', 'bob');
  t.true(isRefusal(kind));
  t.like(kind, { cap: 'perKind', key: 'kubelet.maxExecSessions', limit: 2 });
  t.is((kind as Refusal).message, 'too many exec sessions on this node: 2 open, the limit is 2 (agent config kubelet.maxExecSessions); retry later');
  take('logs', 'apiserver');
  const caller = take('logs', 'apiserver');
  t.like(caller, { cap: 'perCaller', key: 'kubelet.maxSessionsPerCaller' });
  t.regex((caller as Refusal).message, /for user "apiserver" on this node: 3 open, the limit is 3/);
  take('logs', 'bob');
  take('portforward', 'bob');
  const total = take('portforward', 'carol');
  t.like(total, { cap: 'total', key: 'kubelet.maxSessions', limit: 5 });
  t.deepEqual(l.open, { total: 5, byKind: { exec: 2, attach: 0, portforward: 1, logs: 2 }, callers: 2 });
  a1.release();
  a1.release();
  t.deepEqual(l.open.byKind.exec, 1);
  t.false(isRefusal(take('exec', 'carol')));
  t.like(take('attach', 'dave'), { cap: 'total' });
});

test('limits from the agent config: env and flags set them; bad values name the field', (t) => {
  const load = (env: Record<string, string>, argv: string[] = []) => loadConfig(KUBELET_LIMIT_FIELDS, { argv, env, configEnv: 'X_CONFIG' })!.values;
  t.deepEqual(sessionLimitsFromConfig(load({})), DEFAULT_SESSION_LIMITS);
  const v = sessionLimitsFromConfig(load({ ECIGW_KUBELET_MAX_EXEC_SESSIONS: '7' }, ['--kubelet-max-sessions', '9']));
  t.is(v.maxPerKind.exec, 7);
  t.is(v.maxSessions, 9);
  t.throws(() => load({ ECIGW_KUBELET_MAX_SESSIONS: '0' }), { instanceOf: ConfigError, message: /^kubelet\.maxSessions: must be a whole number from 1 to 100000, got 0/ });
  t.throws(() => load({}, ['--kubelet-max-streams-per-session', '4']), { instanceOf: ConfigError, message: /^kubelet\.maxStreamsPerSession: .*from 5/ });
  t.like(checkLimits({ ...limits, maxPortForwardPairs: 1.5 }), { key: 'kubelet.maxPortForwardPairs' });
  t.is(checkLimits(DEFAULT_SESSION_LIMITS), undefined);
});
