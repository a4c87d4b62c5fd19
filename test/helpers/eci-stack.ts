// The burst stack against the ECI emulator: emulator (driven only through the unmodified SDK by the
// relay's ECI provider), relay, agent and the shared real cluster.
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../cloud/eci-emulator/index.js';
import { createEciBackend } from '../../cloud/eci/index.js';
import type { EciProvider } from '../../cloud/eci/provider/index.js';
import { startStack, type Stack, type StackOptions } from './stack.js';

export interface EciStack extends Stack {
  emulator: EmulatorHandle;
  provider: EciProvider;
}

export async function startEciStack(o: { emulator?: EmulatorOptions; agent?: StackOptions['agent']; tenant?: StackOptions['tenant']; gcGraceMs?: number; declareWebSocket?: boolean; egress?: StackOptions['egress'] } = {}): Promise<EciStack> {
  const emulator = await startEmulator({ runtime: 'simulated', ...o.emulator });
  const { provider } = createEciBackend({
    connection: { endpoint: emulator.endpoint, protocol: 'http', timeoutMs: 5000 },
    credentials: () => ({ accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret }),
    provider: { pollFastMs: 500, pollSlowMs: 5000, gcGraceMs: o.gcGraceMs ?? 5000 },
    sessions: { logPollMs: 200, metricsCacheMs: 2000 },
  });
  const stack = await startStack({ provider, agent: o.agent, tenant: o.tenant, declareWebSocket: o.declareWebSocket, egress: o.egress });
  const close = stack.close.bind(stack);
  return Object.assign(stack, {
    emulator,
    provider,
    async close() {
      await close();
      provider.close();
      await emulator.close();
    },
  });
}
