// The relay and the agent as real OS processes started through their CLIs (bin/gateway-relay.js,
// bin/gateway-agent.js), each of which a test can SIGKILL and start again with the same settings (same
// ports, certificates and config), against an ECI endpoint (the emulator) and a cluster's kubeconfig.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareGatewayCli, type GatewayCliOptions } from '../../helpers/gateway-cli.js';
import { eventually } from '../../helpers/wait.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export type GatewayProcessesOptions = Omit<GatewayCliOptions, 'tenant' | 'maxPods'>;

/** One CLI process that can be killed and started again. */
export interface ManagedProcess {
  readonly pid: number | undefined;
  start(): Promise<void>;
  /** Sends the signal and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Graceful stop (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

export interface GatewayProcesses {
  relay: ManagedProcess;
  agent: ManagedProcess;
  close(): Promise<void>;
}

/** Waits until `url` answers 200, failing at once if the child exits first. */
async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  const exitedEarly = () => new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
  if (child.exitCode !== null || child.signalCode !== null) throw exitedEarly();
  let onExit!: () => void;
  const exited = new Promise<never>((_, reject) => {
    onExit = () => reject(exitedEarly());
    child.once('exit', onExit);
  });
  try {
    await Promise.race([eventually(`${what} ready at ${url}`, () => fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false), timeoutMs), exited]);
  } finally {
    child.off('exit', onExit);
  }
}

function managed(name: string, dir: string, bin: string, args: string[], env: NodeJS.ProcessEnv, readyUrl: string): ManagedProcess {
  let child: ChildProcess | undefined;
  const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
  const kill = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || exited(c)) return;
    const done = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await done;
  };
  return {
    get pid() {
      return child?.pid;
    },
    async start() {
      const out = openSync(join(dir, `${name}.log`), 'a');
      child = spawn(process.execPath, [join(root, 'bin', bin), ...args], { stdio: ['ignore', out, out], env: { ...process.env, ...env }, cwd: dir });
      closeSync(out);
      await waitForHttp(readyUrl, child, name, 60_000);
    },
    kill,
    async stop() {
      const c = child;
      if (!c || exited(c)) return;
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await kill('SIGTERM');
      clearTimeout(timer);
    },
  };
}

/** Writes PKI and config into `dir` and starts the relay, then the agent. */
export async function startGatewayProcesses(o: GatewayProcessesOptions): Promise<GatewayProcesses> {
  const cli = await prepareGatewayCli({ ...o, tenant: 't1', maxPods: 1000 });
  const relay = managed('relay', o.dir, 'gateway-relay.js', cli.relay.args, cli.relay.env, cli.relay.healthUrl);
  const agent = managed('agent', o.dir, 'gateway-agent.js', cli.agent.args, cli.agent.env, cli.agent.readyUrl);
  try {
    await relay.start();
    await agent.start();
  } catch (e) {
    await agent.kill('SIGKILL');
    await relay.kill('SIGKILL');
    throw e;
  }
  return {
    relay,
    agent,
    async close() {
      await agent.stop();
      await relay.stop();
    },
  };
}
