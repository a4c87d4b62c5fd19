// The connection guard's pure parts: which source a peer address counts against, and admission by
// source (connections, accept rate, failed-authentication budget) without sockets.
import test from 'ava';
import { Counter, Gauge, Registry } from 'prom-client';
import { ConnectionGuard, sourceOf } from '../../../cloud/relay/connection-guard.js';
import { logger } from '../../../common/log.js';

test('sourceOf: IPv4 as is, IPv4-mapped as IPv4, IPv6 by /64', (t) => {
  const cases: [string | undefined, string][] = [
    ['10.1.2.3', '10.1.2.3'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    [undefined, 'unknown'],
  ];
  for (const [addr, want] of cases) t.is(sourceOf(addr), want, String(addr));
});

function guard(limits: Partial<ConstructorParameters<typeof ConnectionGuard>[0]> = {}) {
  const registry = new Registry();
  return new ConnectionGuard(
    {
      maxConnections: 100,
      maxConnectionsPerSource: 100,
      connectionsPerSecondPerSource: 0.001,
      connectionBurstPerSource: 2,
      handshakeTimeoutMs: 1000,
      authFailuresPerMinutePerSource: 0.001,
      authFailureBurstPerSource: 1,
      ...limits,
    },
    () => undefined,
    { rejected: new Counter({ name: 'r', help: 'r', labelNames: ['reason'], registers: [registry] }), open: new Gauge({ name: 'o', help: 'o', registers: [registry] }) },
    logger('test'),
  );
}

test('admit: the accept burst per source, then source_rate; other sources keep their own', (t) => {
  const g = guard();
  t.is(g.admit('10.0.0.1'), undefined);
  t.is(g.admit('10.0.0.1'), undefined);
  t.is(g.admit('10.0.0.1'), 'source_rate');
  t.is(g.admit('10.0.0.2'), undefined);
});

test('prune forgets idle sources whose buckets are full, keeps those still paying off', (t) => {
  const g = guard({ connectionBurstPerSource: 5 });
  g.admit('10.0.0.1'); // spent a token: remembered
  g.prune();
  t.is(g.admit('10.0.0.1'), undefined);
  t.is(g.admit('10.0.0.1'), undefined);
  t.is(g.admit('10.0.0.1'), undefined);
  t.is(g.admit('10.0.0.1'), undefined);
  t.is(g.admit('10.0.0.1'), 'source_rate', 'pruning did not reset a source that spent its burst');
});
