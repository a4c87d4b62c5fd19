// The agent's side of networking mode `tunnel`'s outbound path, as tunnel sessions: its Egress stream (the
// exports it sends, the dials the relay sends it) and each EgressConnection that answers a dial. Exports are
// checked here (bounded, well-formed); what a pod may reach is the registry's business.
import type * as grpc from '@grpc/grpc-js';
import type { EgressUpdate__Output } from '../../../proto/gen/ecigw/tunnel/v1/EgressUpdate.js';
import type { EgressDial } from '../../../proto/gen/ecigw/tunnel/v1/EgressDial.js';
import { byteBridge, type PortForwardCall } from '../bridges.js';
import type { CallContext } from '../calls.js';
import { isMalformed, malformedReason } from '../decode.js';
import { RpcError } from '../errors.js';
import { scopeKey } from '../keys.js';
import type { SessionGuard } from '../session.js';
import { ValidationError } from '../validate.js';
import type { EgressRegistry, ExportedService } from './registry.js';
import { status } from '@grpc/grpc-js';

/** Exports one agent may declare at once. */
export const MAX_EXPORTS = 4096;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The update's exports, or ValidationError naming the first bad one. */
export function validateExports(u: EgressUpdate__Output): ExportedService[] {
  if (u.exports.length > MAX_EXPORTS) throw new ValidationError(`${u.exports.length} exports; at most ${MAX_EXPORTS}`);
  for (const [i, e] of u.exports.entries()) {
    if (!DNS_LABEL.test(e.namespace) || !DNS_LABEL.test(e.name)) throw new ValidationError(`exports[${i}]: namespace and name must be DNS labels`);
    if (e.ports.length === 0 || e.ports.length > 100 || e.ports.some((p) => !Number.isInteger(p.port) || p.port < 1 || p.port > 65535)) throw new ValidationError(`exports[${i}]: 1 to 100 ports from 1 to 65535`);
    if (e.toNamespaces.length > 1000 || e.toNamespaces.some((n) => !DNS_LABEL.test(n))) throw new ValidationError(`exports[${i}]: to_namespaces must be at most 1000 DNS labels`);
  }
  return u.exports;
}

type EgressCall = grpc.ServerDuplexStream<EgressUpdate__Output, EgressDial>;

/** The agent's Egress stream: attached to its scope until it ends (a newer stream of the scope replaces it). */
export async function runEgressStream(registry: EgressRegistry | undefined, idleTimeoutMs: number, ctx: CallContext, call: EgressCall, guard: SessionGuard): Promise<void> {
  if (!registry) throw new RpcError(status.FAILED_PRECONDITION, 'this relay has no egress listener (relay option egress.port): burst pods cannot reach on-prem Services');
  const scope = scopeKey(ctx.scope.tenantId, ctx.scope.clusterId);
  guard.markStarted();
  const link = { dial: (d: EgressDial) => !guard.isClosed && (call.write(d), true) };
  const detach = registry.attach(scope, link);
  // A control stream: quiet for hours is normal, so it never counts as idle.
  const keepAlive = setInterval(() => guard.activity(), Math.max(1000, idleTimeoutMs / 2));
  try {
    await new Promise<void>((resolve, reject) => {
      call.on('data', (m: EgressUpdate__Output) => {
        try {
          if (isMalformed(m)) throw new ValidationError(`malformed EgressUpdate: ${malformedReason(m)}`);
          const exports = validateExports(m);
          registry.update(scope, link, exports);
          ctx.log.info({ exports: exports.length }, 'egress exports');
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
      call.on('end', () => resolve());
      guard.abort.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    clearInterval(keepAlive);
    detach();
  }
  if (!guard.isClosed) call.end();
}

/** One EgressConnection: its first message names the dial it answers; its bytes go to that sidecar connection. */
export async function runEgressConnection(registry: EgressRegistry | undefined, ctx: CallContext, call: PortForwardCall, guard: SessionGuard): Promise<void> {
  if (!registry) throw new RpcError(status.FAILED_PRECONDITION, 'this relay has no egress listener');
  const { bridge, first, finish } = await byteBridge(ctx, call, guard, 'egressOpen');
  const open = first.egressOpen!;
  const taken = await registry.answer(scopeKey(ctx.scope.tenantId, ctx.scope.clusterId), open.connId, open.error, bridge);
  if (!taken) throw new RpcError(status.NOT_FOUND, `no egress dial ${JSON.stringify(open.connId.slice(0, 64))} waits for this agent (expired or never asked)`);
  await finish();
}
