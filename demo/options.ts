// The demo's command line: its help text and the checks both halves run (demo/run.ts answers -h and bad
// flags with exit 2 before starting anything; demo/story.ts reads the same options). Pure.
import { parseArgs } from 'node:util';

export const HELP = `Usage: npm run demo -- [options]

Runs the burst story end to end on this machine and cleans up (unless --keep). The story goes to stdout;
the components' JSON logs go to a file whose path is printed first.

Options:
  --replicas <n>            burst size (default 8; the datacenter node holds 3)
  --keep                    leave everything running afterwards and print how to use it
  --kubeconfig <file>       use this cluster instead of starting a local one (its API server must reach
                            this machine's loopback kubelet API, and --kubelet-client-ca-file must be given)
  --kubelet-client-ca-file <file>  CA of that API server's kubelet client certificate
  --eci-endpoint <host>     real ECI (e.g. eci.cn-hangzhou.aliyuncs.com) instead of the emulator
  --region <id>             ECI region (default cn-hangzhou)
  --vswitch <id>            vSwitch for real ECI
  --security-group <id>     security group for real ECI
  --log-file <file>         where the components' JSON logs go (default: a new file under $TMPDIR)
  Credentials for real ECI come from ECI_ACCESS_KEY_ID / ECI_ACCESS_KEY_SECRET (never from flags).
  -h, --help                this text
`;

/** Set by demo/run.ts for the story: its stdin is run.ts's pipe, and that pipe closing means the demo is gone. */
export const LIFELINE_ENV = 'ECIGW_DEMO_LIFELINE';

/** The datacenter node's pod capacity: the burst is what does not fit there. */
export const ON_PREM_CAPACITY = 3;

export interface DemoOptions {
  replicas: number;
  keep: boolean;
  kubeconfig?: string;
  kubeletClientCaFile?: string;
  eciEndpoint?: string;
  region: string;
  vswitch: string;
  securityGroup: string;
  logFile?: string;
}

/** The options, 'help', or the one-line problem with them (the caller prints it and exits 2). */
export function parseDemoArgs(argv: string[], env: NodeJS.ProcessEnv): DemoOptions | 'help' | { problem: string } {
  let a;
  try {
    a = parseArgs({
      args: argv,
      allowNegative: true,
      options: {
        replicas: { type: 'string', default: '8' },
        keep: { type: 'boolean' },
        kubeconfig: { type: 'string' },
        'kubelet-client-ca-file': { type: 'string' },
        'eci-endpoint': { type: 'string' },
        region: { type: 'string', default: 'cn-hangzhou' },
        vswitch: { type: 'string', default: 'vsw-demo' },
        'security-group': { type: 'string', default: 'sg-demo' },
        'log-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    return { problem: `${(e as Error).message.split('. ')[0]} (see --help)` };
  }
  if (a.help) return 'help';
  const replicas = Number(a.replicas);
  if (!Number.isInteger(replicas) || replicas <= ON_PREM_CAPACITY || replicas > 500) {
    return { problem: `--replicas must be a whole number from ${ON_PREM_CAPACITY + 1} to 500 (more than the datacenter node holds)` };
  }
  if (a.kubeconfig && !a['kubelet-client-ca-file']) return { problem: "--kubeconfig needs --kubelet-client-ca-file (the CA of the API server's kubelet client certificate)" };
  if (a['eci-endpoint'] && (!env.ECI_ACCESS_KEY_ID || !env.ECI_ACCESS_KEY_SECRET)) return { problem: 'real ECI needs ECI_ACCESS_KEY_ID and ECI_ACCESS_KEY_SECRET in the environment' };
  return {
    replicas,
    keep: a.keep === true,
    kubeconfig: a.kubeconfig,
    kubeletClientCaFile: a['kubelet-client-ca-file'],
    eciEndpoint: a['eci-endpoint'],
    region: a.region,
    vswitch: a.vswitch,
    securityGroup: a['security-group'],
    logFile: a['log-file'],
  };
}
