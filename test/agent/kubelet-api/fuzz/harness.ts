// Fuzz harness of the kubelet API (fast-check), shared by the bounded runs in `npm test` and the long run
// of `npm run bench -- fuzz`: arbitraries for SPDY frames, byte mutations and WebSocket channel messages;
// four targets (the framer, the SPDY session serving exec, the WebSocket channel handler over a real `ws`
// loopback, the port-forward handler over SPDY and WebSocket with a backend that pipes to a local echo
// server); and a watch on uncaught exceptions and unhandled rejections for the duration of a run.
// Each case checks: nothing throws out of the session, buffered bytes stay within their bounds, and a
// well-behaved session started afterwards, on the same backend, still works.
// The pieces: env.ts (bounds, crash watch, servers), echo-backend.ts, arbitraries.ts, spdy-cases.ts, ws-cases.ts.
import fc from 'fast-check';
import type { FuzzEnv, WsRoute } from './env.js';
import { framerGarbage, framerRoundTrip, healthySpdyExec, runSpdyCase, spdyCaseArb } from './spdy-cases.js';
import { healthyWsExec, runWsCase, wsCaseArb, wsRoutes } from './ws-cases.js';

export interface Target {
  name: string;
  property: fc.IProperty<never> | fc.IAsyncProperty<never>;
}

export function targets(env: FuzzEnv & { onWs: (r: WsRoute) => void }): Target[] {
  const routes = wsRoutes(env);
  // Every session case is followed by a well-behaved session on the same backend, which must still work.
  const spdy = (name: string, handler: 'exec' | 'portforward'): Target => ({
    name,
    property: fc.asyncProperty(spdyCaseArb(handler), async (c) => {
      await runSpdyCase(env, c);
      await healthySpdyExec(env);
    }) as unknown as fc.IAsyncProperty<never>,
  });
  const ws = (name: string, handler: 'exec' | 'portforward'): Target => ({
    name,
    property: fc.asyncProperty(wsCaseArb(handler), async (c) => {
      await runWsCase(env, routes, c);
      await healthyWsExec(env, routes);
    }) as unknown as fc.IAsyncProperty<never>,
  });
  return [
    { name: 'framer: round trip across splits', property: framerRoundTrip as unknown as fc.IProperty<never> },
    { name: 'framer: mutated and random bytes', property: framerGarbage as unknown as fc.IProperty<never> },
    spdy('SPDY session serving exec', 'exec'),
    ws('WebSocket channels serving exec', 'exec'),
    spdy('port-forward over SPDY', 'portforward'),
    ws('port-forward over WebSocket', 'portforward'),
  ];
}
