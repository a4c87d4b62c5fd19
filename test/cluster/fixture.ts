// Test fixture: the shared local Kubernetes cluster of this test run.
// The first test worker to ask starts test/cluster/daemon.ts (detached), which runs the cluster until ava's
// main process exits; every worker then reads the same info.json. `ECIGW_CLUSTER_INFO=<path>` points the
// fixture at an already running cluster instead.
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, readdirSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { issueCert, loadIssuer, type KeyPairPem } from '../../common/pki.js';
import type { ClusterInfo } from './cluster.js';
import { isAlive as alive } from './pids.js';
import { eventually } from '../helpers/wait.js';

const execFileP = promisify(execFile);

export interface ClusterHandle {
  info: ClusterInfo;
  server: string;
  kubeconfigPath: string;
  /** Admin KubeConfig for @kubernetes/client-node. */
  kc: KubeConfig;
  bin: ClusterInfo['bin'];
  pki: ClusterInfo['pki'] & {
    caCertPem: string;
    /** A client certificate signed by the cluster CA: user `cn`, groups `orgs`. */
    issueClientCert(cn: string, orgs?: string[]): Promise<KeyPairPem>;
  };
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<{ stdout: string; stderr: string; code: number }>;
}

let cached: Promise<ClusterHandle> | undefined;

const runPrefix = 'ecigw-cluster-run-';

/** Removes run directories left by runs whose ava process is gone (killing their processes if still alive). */
function sweepStale(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(runPrefix)) continue;
    const pid = Number(name.slice(runPrefix.length));
    if (!pid || alive(pid)) continue;
    const dir = join(tmpdir(), name);
    try {
      const pids = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as number[];
      for (const p of pids) {
        try {
          process.kill(-p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    } catch {
      /* no pids recorded */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForInfo(runDir: string, timeoutMs: number): Promise<ClusterInfo> {
  const info = join(runDir, 'info.json');
  const err = join(runDir, 'error.txt');
  // Either file ends the wait: the cluster's info, or the reason it failed to start.
  const outcome = await eventually(`the local cluster to start (see ${runDir}/daemon.log)`, () => {
    if (existsSync(info)) return { info: JSON.parse(readFileSync(info, 'utf8')) as ClusterInfo };
    if (existsSync(err)) return { failed: readFileSync(err, 'utf8') };
    return undefined;
  }, timeoutMs, 200);
  if ('failed' in outcome) throw new Error(`local cluster failed to start:\n${outcome.failed}`);
  return outcome.info;
}

async function start(): Promise<ClusterInfo> {
  const given = process.env.ECIGW_CLUSTER_INFO;
  if (given) return JSON.parse(readFileSync(given, 'utf8')) as ClusterInfo;
  const owner = process.ppid; // ava's main process: the cluster lives as long as the run
  const runDir = join(tmpdir(), `${runPrefix}${owner}`);
  let mine = false;
  try {
    mkdirSync(runDir);
    mine = true;
  } catch {
    /* another worker of this run got there first */
  }
  if (mine) {
    sweepStale();
    const log = openSync(join(runDir, 'daemon.log'), 'a');
    const daemon = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./daemon.ts', import.meta.url)), runDir, String(owner)], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    daemon.unref();
  }
  return await waitForInfo(runDir, 20 * 60_000);
}

function handle(info: ClusterInfo): ClusterHandle {
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfigPath);
  const caCertPem = readFileSync(info.pki.caCertPath, 'utf8');
  return {
    info,
    server: info.server,
    kubeconfigPath: info.kubeconfigPath,
    kc,
    bin: info.bin,
    pki: {
      ...info.pki,
      caCertPem,
      async issueClientCert(cn, orgs = []) {
        const ca = await loadIssuer(caCertPem, readFileSync(info.pki.caKeyPath, 'utf8'));
        return await issueCert(ca, { cn, orgs });
      },
    },
    async kubectl(args, opts = {}) {
      const run = execFileP(info.bin.kubectl, [`--kubeconfig=${info.kubeconfigPath}`, ...args], {
        timeout: opts.timeoutMs ?? 60_000,
        env: { ...process.env, ...opts.env },
        maxBuffer: 16 << 20,
      });
      if (opts.input !== undefined) {
        run.child.stdin?.end(opts.input);
      }
      try {
        const r = await run;
        return { stdout: r.stdout, stderr: r.stderr, code: 0 };
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string; code?: number | string };
        return { stdout: err.stdout ?? '', stderr: err.stderr ?? String(e), code: typeof err.code === 'number' ? err.code : 1 };
      }
    },
  };
}

/** The run's shared cluster (started on first use). Never stop it from a test. */
export function useCluster(): Promise<ClusterHandle> {
  cached ??= start().then(handle);
  return cached;
}
