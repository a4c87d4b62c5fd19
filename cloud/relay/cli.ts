// `gateway-relay`: the cloud relay process. One YAML/JSON file holds both the process settings (listen
// address, TLS files, ECI endpoint) and the tenant configuration (tenants, agent identities, token file,
// limits); env and flags override the process settings. Bad configuration exits 2 naming the field.
import { readFileSync } from 'node:fs';
import { loadConfig, helpText, checks, checkFileField, ConfigError, type Field } from '../../common/config.js';
import { CONFIG_ERROR_EXIT, cliRequest, failureLine } from '../../common/cli.js';
import { BUILD_VERSION } from '../../common/version.js';
import { newRegistry } from '../../common/metrics.js';
import { startOpsServer } from '../../common/ops-server.js';
import { logger } from '../../common/log.js';
import { startTracing, tracingSettings } from '../../common/tracing.js';
import { relayConfigFromText } from './config.js';
import { startRelay } from './server.js';
import { createEciBackend } from '../eci/index.js';
import { DEFAULT_GC_MAX_ORPHAN_SHARE, maxOrphanShareProblem } from '../eci/provider/gc.js';
import { credentialFor } from '../eci/credentials.js';

export const RELAY_FIELDS: Field[] = [
  { path: 'listen', type: 'string', env: 'ECIGW_RELAY_LISTEN', flag: 'listen', default: '0.0.0.0', describe: 'gRPC bind address' },
  { path: 'port', type: 'number', env: 'ECIGW_RELAY_PORT', flag: 'port', default: 8443, describe: 'gRPC (TLS) port', check: checks.port },
  { path: 'dataPort', type: 'number', env: 'ECIGW_RELAY_DATA_PORT', flag: 'data-port', describe: 'TLS port for session data connections (exec/attach/port-forward output beside the tunnel, on the same bind address); unset: off, output goes on the tunnel', check: checks.port },
  { path: 'egress.port', type: 'number', env: 'ECIGW_RELAY_EGRESS_PORT', flag: 'egress-port', describe: 'networking mode tunnel: TLS port where burst pods\' egress sidecars reach exported on-prem Services (same bind address); unset: off', check: checks.port },
  { path: 'egress.tokenKeyFile', type: 'string', env: 'ECIGW_RELAY_EGRESS_TOKEN_KEY_FILE', flag: 'egress-token-key-file', describe: 'with egress.port: at least 32 random bytes that sign pods\' egress credentials (the same file on every relay replica)' },
  { path: 'egress.caFile', type: 'string', env: 'ECIGW_RELAY_EGRESS_CA_FILE', flag: 'egress-ca-file', describe: 'with egress.port: CA bundle that signs the serving certificate, given to sidecars to verify the relay' },
  { path: 'egress.checkSourceAddress', type: 'boolean', env: 'ECIGW_RELAY_EGRESS_CHECK_SOURCE', flag: 'egress-check-source', default: true, describe: 'refuse an egress credential presented from any address but its pod\'s own (turn off only when pods reach the relay through NAT; credentials are then bearer tokens bound to one pod)' },
  { path: 'tls.certFile', type: 'string', env: 'ECIGW_RELAY_TLS_CERT_FILE', flag: 'tls-cert-file', required: true, describe: 'serving certificate (re-read when it changes)' },
  { path: 'tls.keyFile', type: 'string', env: 'ECIGW_RELAY_TLS_KEY_FILE', flag: 'tls-key-file', required: true, describe: 'serving key' },
  { path: 'tls.clientCaFile', type: 'string', env: 'ECIGW_RELAY_CLIENT_CA_FILE', flag: 'client-ca-file', required: true, describe: 'CA that issues agent client certificates' },
  { path: 'eci.endpoint', type: 'string', env: 'ECIGW_ECI_ENDPOINT', flag: 'eci-endpoint', describe: 'ECI OpenAPI host[:port] (default eci.<tenant region>.aliyuncs.com)' },
  { path: 'eci.protocol', type: 'string', env: 'ECIGW_ECI_PROTOCOL', flag: 'eci-protocol', default: 'https', describe: 'https for ECI, http for the emulator', check: checks.oneOf('http', 'https') },
  { path: 'eci.timeoutMs', type: 'number', env: 'ECIGW_ECI_TIMEOUT_MS', flag: 'eci-timeout-ms', default: 10000, describe: 'timeout of one ECI call attempt (ms)' },
  { path: 'gcGraceSeconds', type: 'number', env: 'ECIGW_GC_GRACE_SECONDS', flag: 'gc-grace-seconds', default: 60, describe: 'an orphaned container group is deleted after this long' },
  { path: 'gcMaxOrphanShare', type: 'number', env: 'ECIGW_GC_MAX_ORPHAN_SHARE', flag: 'gc-max-orphan-share', default: DEFAULT_GC_MAX_ORPHAN_SHARE, describe: 'GC holds while an inventory would orphan more than this share of a cluster\'s groups (all of them always holds)', check: maxOrphanShareProblem },
  { path: 'ops.listen', type: 'string', env: 'ECIGW_OPS_LISTEN', flag: 'ops-listen', default: '0.0.0.0', describe: 'bind address of /healthz, /readyz, /metrics' },
  { path: 'ops.port', type: 'number', env: 'ECIGW_OPS_PORT', flag: 'ops-port', default: 9096, describe: 'port of /healthz, /readyz, /metrics', check: checks.port },
];

const USAGE =
  'Usage: gateway-relay --config <file> [options]\n\nRuns the eci-hybrid-gateway relay: authenticates agents, scopes them to tenants and calls the ECI OpenAPI.\nThe config file also holds `tenants`, `certificateIdentities`, `tokenFile` and `limits` (see README).';

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const request = cliRequest(argv);
  if (request === 'help') {
    process.stdout.write(helpText(USAGE, RELAY_FIELDS, 'ECIGW_RELAY_CONFIG'));
    return 0;
  }
  if (request === 'version') {
    process.stdout.write(`gateway-relay ${BUILD_VERSION}\n`);
    return 0;
  }
  let loaded;
  let relayConfig;
  try {
    loaded = loadConfig(RELAY_FIELDS, { argv, env, configEnv: 'ECIGW_RELAY_CONFIG' });
    if (loaded) {
      if (!loaded.configFile) throw new ConfigError('config', 'a config file with `tenants` is required; give --config <file> or env ECIGW_RELAY_CONFIG');
      relayConfig = relayConfigFromText(readFileSync(loaded.configFile, 'utf8'), loaded.configFile);
      // Fail at start, not at the first pod, when a tenant's ECI credentials cannot be found.
      for (const [id, t] of Object.entries(relayConfig.tenants)) {
        try {
          credentialFor(t.credentialsRef, env); // validates the form and its arguments; no network call
        } catch (e) {
          throw new ConfigError(`tenants.${id}.credentialsRef`, (e as Error).message);
        }
      }
      for (const f of ['tls.certFile', 'tls.keyFile', 'tls.clientCaFile']) checkFileField(RELAY_FIELDS, f, loaded.values[f] as string);
      if (loaded.values['egress.port'] !== undefined) {
        for (const f of ['egress.tokenKeyFile', 'egress.caFile']) {
          if (!loaded.values[f]) throw new ConfigError(f, 'egress.port is set, so this file is needed');
          checkFileField(RELAY_FIELDS, f, loaded.values[f] as string);
        }
      }
      tracingSettings(env); // OTEL_* that this build cannot honour: exit 2 naming the variable
    }
  } catch (e) {
    process.stderr.write(failureLine('gateway-relay', e));
    return CONFIG_ERROR_EXIT;
  }
  if (!loaded || !relayConfig) {
    process.stdout.write(helpText(USAGE, RELAY_FIELDS, 'ECIGW_RELAY_CONFIG'));
    return 0;
  }
  const v = loaded.values;
  const log = logger('gateway-relay');
  // Off unless OTEL_TRACES_EXPORTER names an exporter; then spans go out as OTEL_* says (README "Tracing").
  const tracing = await startTracing('gateway-relay', { env, log });
  const registry = newRegistry(true);
  const { provider } = createEciBackend({
    connection: { endpoint: (v['eci.endpoint'] as string | undefined) || undefined, protocol: v['eci.protocol'] as 'http' | 'https', timeoutMs: v['eci.timeoutMs'] as number },
    credentials: (scope) => credentialFor(scope.tenant.credentialsRef, env),
    registry,
    provider: { gcGraceMs: (v.gcGraceSeconds as number) * 1000, gcMaxOrphanShare: v.gcMaxOrphanShare as number },
  });
  let relay;
  try {
    relay = await startRelay({
      host: v.listen as string,
      port: v.port as number,
      ...(v.dataPort === undefined ? {} : { data: { port: v.dataPort as number } }),
      ...(v['egress.port'] === undefined
        ? {}
        : { egress: { port: v['egress.port'] as number, tokenKeyFile: v['egress.tokenKeyFile'] as string, caFile: v['egress.caFile'] as string, checkSourceAddress: v['egress.checkSourceAddress'] as boolean } }),
      tls: { certFile: v['tls.certFile'] as string, keyFile: v['tls.keyFile'] as string, clientCaFile: v['tls.clientCaFile'] as string },
      config: relayConfig,
      configFile: loaded.configFile,
      provider,
      registry,
    });
  } catch (e) {
    // An unreadable token file or client CA at start is a configuration error, not a crash.
    process.stderr.write(failureLine('gateway-relay', e));
    provider.close();
    await tracing.shutdown();
    return CONFIG_ERROR_EXIT;
  }
  const ops = await startOpsServer({ host: v['ops.listen'] as string, port: v['ops.port'] as number, registry, ready: () => relay.readiness() });
  // One line on stdout for scripts and the demo; logs go to stderr.
  process.stdout.write(`gateway-relay listening on ${v.listen as string}:${relay.port} (ops ${ops.port})\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining sessions');
    await relay.close();
    provider.close();
    await ops.close();
    await tracing.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return -1;
}
