// `gateway-egress`: the egress sidecar process in a burst pod's container group. Its settings come from the
// env the relay's ECI mapping writes (env.ts); a missing or bad one is one line on stderr and exit 2. Runs
// until SIGTERM.
import { isIPv4 } from 'node:net';
import { CONFIG_ERROR_EXIT, cliRequest, failureLine } from '../../common/cli.js';
import { ConfigError } from '../../common/config.js';
import { logger } from '../../common/log.js';
import { BUILD_VERSION } from '../../common/version.js';
import { EGRESS_ENV } from './env.js';
import { startSidecar, type SidecarOptions } from './sidecar.js';

const HELP = `Usage: gateway-egress

The egress sidecar of a burst pod (networking mode tunnel): on-prem Services exported to the pod's namespace
resolve and connect through the relay. Configured by the relay through env: ${Object.values(EGRESS_ENV).join(', ')}.
`;

/** The sidecar's settings from env, or ConfigError naming the variable. */
export function sidecarSettings(env: NodeJS.ProcessEnv): Omit<SidecarOptions, 'log'> {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new ConfigError(k, 'must be set (the relay\'s ECI mapping sets it)');
    return v;
  };
  const relayAddress = need(EGRESS_ENV.relayAddress);
  if (!/^[^\s/:]+:\d{1,5}$/.test(relayAddress)) throw new ConfigError(EGRESS_ENV.relayAddress, `must be host:port, got ${JSON.stringify(relayAddress)}`);
  const upstreamDns = need(EGRESS_ENV.upstreamDns).split(',').map((s) => s.trim()).filter(Boolean);
  if (upstreamDns.length === 0 || !upstreamDns.every((a) => isIPv4(a))) throw new ConfigError(EGRESS_ENV.upstreamDns, 'must be comma-separated IPv4 resolver addresses');
  return {
    token: need(EGRESS_ENV.token),
    relayAddress,
    serverName: env[EGRESS_ENV.serverName] || relayAddress.replace(/:\d+$/, ''),
    caPem: need(EGRESS_ENV.caPem),
    namespace: need(EGRESS_ENV.namespace),
    podIP: env[EGRESS_ENV.podIP] || undefined,
    clusterDomain: env[EGRESS_ENV.clusterDomain] || 'cluster.local',
    upstreamDns,
  };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const request = cliRequest(argv);
  if (request === 'help') return (process.stdout.write(HELP), 0);
  if (request === 'version') return (process.stdout.write(`gateway-egress ${BUILD_VERSION}\n`), 0);
  let settings;
  try {
    settings = sidecarSettings(env);
  } catch (e) {
    process.stderr.write(failureLine('gateway-egress', e));
    return CONFIG_ERROR_EXIT;
  }
  const log = logger('gateway-egress');
  const sidecar = await startSidecar({ ...settings, log });
  const stop = () => void sidecar.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return -1;
}
