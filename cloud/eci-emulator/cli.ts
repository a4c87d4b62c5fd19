// Command line of the ECI emulator: parses options/env/config file, starts the emulator, prints exactly one
// `listening on http://host:port` line to stdout, and stops every process it started on SIGTERM/SIGINT.
// Exit code 2 and one line on stderr for a bad option or config (the message names the field and the fix).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_ACCESS_KEY, ExposureError, startEmulator } from './index.js';
import { CONFIG_ERROR_EXIT, cliRequest, flagError, failureLine } from '../../common/cli.js';
import { BUILD_VERSION } from '../../common/version.js';

const HELP = `Usage: eci-emulator [options]

Speaks the Alibaba Cloud ECI OpenAPI (2018-08-08) for the unmodified @alicloud/eci20180808 SDK.
Point the SDK at Config{endpoint: "<host>:<port>", protocol: "http", regionId: "cn-hangzhou"}.

Options:
  --port <n>                 TCP port to listen on (default 0 = pick a free port)
  --host <addr>              address to bind (default 127.0.0.1; a non-loopback address needs --allow-non-loopback
                             and an access key pair of your own: the process runtime runs pod commands on this host)
  --[no-]allow-non-loopback  allow binding a non-loopback address (default off)
  --runtime <kind>           process (default; containers are real local processes) | simulated (no processes)
  --config <file>            JSON file with EmulatorConfig overrides (see cloud/eci-emulator/README.md)
  --region <id>              region served; repeat for several (default cn-hangzhou)
  --access-key-id <id>       AccessKey id accepted (env ECI_EMULATOR_ACCESS_KEY_ID; default ${DEFAULT_ACCESS_KEY.id})
  --access-key-secret <s>    its secret (env ECI_EMULATOR_ACCESS_KEY_SECRET)
  --[no-]rate-limits         per-action throttling as ECI does (default on; --no-rate-limits disables it)
  --[no-]insecure            accept unsigned requests (skip signature verification; default off)
  --data-dir <dir>           where per-group directories live (default: $TMPDIR/eci-emulator-<pid>)
  --admin-token <t>          bearer token of the admin API (env ECI_EMULATOR_ADMIN_TOKEN; default: random,
                             printed on the listening line)
  -h, --help                 show this help
  --version                  print the version and exit

Environment: ECI_EMULATOR_CONFIG=<file> is read like --config (the flag wins); LOG_LEVEL sets log verbosity (stderr).
A configuration error is one line on stderr naming the option, and exit code 2.
Admin HTTP API: GET /__admin/stats|groups|config, POST /__admin/config|faults|rate-limits|create-latency|
stock-out|max-groups|reset-stats with Content-Type: application/json and a JSON body. Every admin call needs
"Authorization: Bearer <admin token>"; requests with an Origin header (browsers) are refused.`;

function fail(message: string): never {
  process.stderr.write(failureLine('eci-emulator', message));
  process.exit(CONFIG_ERROR_EXIT);
}

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  runtime: { type: 'string' },
  config: { type: 'string' },
  region: { type: 'string', multiple: true },
  'access-key-id': { type: 'string' },
  'access-key-secret': { type: 'string' },
  'rate-limits': { type: 'boolean' },
  insecure: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'admin-token': { type: 'string' },
  'allow-non-loopback': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

function readConfigFile(configFile: string): Record<string, unknown> {
  const fix = 'point --config or env ECI_EMULATOR_CONFIG at a readable JSON file';
  let text = '';
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(`--config: ${configFile} ${code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? (e as Error).message})`}; ${fix}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    fail(`--config: ${configFile} is not valid JSON (${(e as Error).message}); fix the file or ${fix}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) fail(`--config: ${configFile} must hold a JSON object ({"key": value, ...})`);
  return config as Record<string, unknown>;
}

export async function main(argv: string[]): Promise<void> {
  const request = cliRequest(argv);
  if (request === 'help') {
    process.stdout.write(HELP + '\n');
    return;
  }
  if (request === 'version') {
    process.stdout.write(`eci-emulator ${BUILD_VERSION}\n`);
    return;
  }
  let values;
  try {
    // allowNegative (Node >= 20.16 / 22.4): --no-<switch> clears a switch.
    ({ values } = parseArgs({ args: argv, strict: true, allowNegative: true, options: OPTIONS }));
  } catch (e) {
    fail(flagError(e, OPTIONS).message);
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: "${values.port}" is not a port number; give 0-65535 (0 picks a free port)`);
  const runtime = values.runtime ?? 'process';
  if (runtime !== 'process' && runtime !== 'simulated') fail(`--runtime: "${runtime}" must be process or simulated`);
  const host = values.host ?? '127.0.0.1';
  const configFile = values.config ?? process.env.ECI_EMULATOR_CONFIG;
  const config = configFile ? readConfigFile(configFile) : {};
  if (values['rate-limits'] !== undefined) config.rateLimitsEnabled = values['rate-limits'];
  if (values.insecure !== undefined) config.signature = { ...(config.signature as object), verify: !values.insecure };
  if (values['data-dir']) config.dataDir = values['data-dir'];
  const id = values['access-key-id'] ?? process.env.ECI_EMULATOR_ACCESS_KEY_ID;
  const secret = values['access-key-secret'] ?? process.env.ECI_EMULATOR_ACCESS_KEY_SECRET;
  if ((id === undefined) !== (secret === undefined)) fail('--access-key-id and --access-key-secret must be given together');
  const givenToken = values['admin-token'] ?? process.env.ECI_EMULATOR_ADMIN_TOKEN;
  if (givenToken !== undefined && !/^[\x21-\x7e]{16,256}$/.test(givenToken)) fail('--admin-token: must be 16 to 256 printable characters without spaces');

  let handle;
  try {
    handle = await startEmulator({
      host,
      port,
      runtime,
      config,
      regions: values.region,
      accessKeys: id && secret ? [{ id, secret }] : undefined,
      adminToken: givenToken,
      allowNonLoopback: values['allow-non-loopback'] === true,
    });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    if (e instanceof ExposureError) fail(`${e.option === 'allowNonLoopback' ? '--host' : '--access-key-id'}: ${e.message}`);
    fail(`cannot start: ${(e as Error).message}`);
  }
  const h = handle;
  const token = givenToken === undefined ? `, adminToken=${h.adminToken}` : '';
  process.stdout.write(`eci-emulator listening on ${h.url} (runtime=${h.runtime}, region=${h.regionId}, accessKeyId=${h.accessKeyId}${token})\n`);
  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`eci-emulator: ${sig}, stopping\n`);
    const force = setTimeout(() => process.exit(1), 35_000);
    force.unref();
    void h.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
