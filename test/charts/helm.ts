// Helm helpers for the chart tests: run the helm binary of the local-cluster toolchain (no cluster
// needed), render a chart with layered values into parsed objects, and lay out the files a pod of a
// rendered Deployment would see (its ConfigMap/Secret/emptyDir mounts) under a directory on disk.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import type { V1ConfigMap, V1Deployment, V1Secret } from '@kubernetes/client-node';
import { ensureBinaries } from '../cluster/cluster.js';

const execFileP = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHARTS_DIR = join(REPO_ROOT, 'charts');
export type ChartName = 'gateway-agent' | 'gateway-relay';
export const chartDir = (chart: ChartName) => join(CHARTS_DIR, chart);
/** The minimal values a real install needs (also what `helm lint` uses). */
export const ciValues = (chart: ChartName) => join(chartDir(chart), 'ci', 'test-values.yaml');

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

let helmPath: Promise<string> | undefined;
export function helmBin(): Promise<string> {
  helmPath ??= ensureBinaries().then((b) => b.helm);
  return helmPath;
}

export async function helm(args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const bin = await helmBin();
  try {
    const r = await execFileP(bin, args, { timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, HELM_CACHE_HOME: helmHome('cache'), HELM_CONFIG_HOME: helmHome('config'), HELM_DATA_HOME: helmHome('data') } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number | string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(e) };
  }
}

// Helm keeps repository caches and config in $HOME; tests use a private, throw-away place.
let home: string | undefined;
function helmHome(sub: string): string {
  home ??= mkdtempSync(join(tmpdir(), 'ecigw-helm-home-'));
  return join(home, sub);
}

/** Writes each values object as a file (JSON is YAML) and returns `-f` arguments, CI values first. */
export function valuesArgs(chart: ChartName, overrides: object[], dir: string, withCi = true): string[] {
  const args = withCi ? ['-f', ciValues(chart)] : [];
  overrides.forEach((v, i) => {
    const f = join(dir, `values-${i}.json`);
    writeFileSync(f, JSON.stringify(v));
    args.push('-f', f);
  });
  return args;
}

export async function template(chart: ChartName, overrides: object[] = [], o: { release?: string; namespace?: string; ci?: boolean } = {}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-chart-values-'));
  try {
    const values = valuesArgs(chart, overrides, dir, o.ci !== false);
    return await helm(['template', o.release ?? 'rel', chartDir(chart), '--namespace', o.namespace ?? 'ecigw', ...values]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether `o` is a Helm hook (created by `helm test` etc., not by install). */
const isHook = (o: KubeObject): boolean => o.metadata.annotations?.['helm.sh/hook'] !== undefined;

/**
 * `helm template` parsed into objects; throws with helm's stderr when rendering fails. The release's objects
 * only (what `helm install` creates); `hooks: true` returns the hooks (the `helm test` objects) instead.
 */
export async function render(chart: ChartName, overrides: object[] = [], o: { release?: string; namespace?: string; hooks?: boolean } = {}): Promise<KubeObject[]> {
  const r = await template(chart, overrides, o);
  if (r.code !== 0) throw new Error(`helm template ${chart} failed (exit ${r.code}): ${r.stderr}`);
  const objs = (loadAll(r.stdout) as (KubeObject | null)[]).filter((x): x is KubeObject => x !== null && typeof x === 'object');
  return objs.filter((x) => isHook(x) === (o.hooks === true));
}

export function all(objs: KubeObject[], kind: string): KubeObject[] {
  return objs.filter((x) => x.kind === kind);
}

/** Exactly one object of `kind` (whose name ends with `nameSuffix` when given). */
export function one<T = KubeObject>(objs: KubeObject[], kind: string, nameSuffix = ''): T {
  const found = objs.filter((x) => x.kind === kind && x.metadata.name.endsWith(nameSuffix));
  if (found.length !== 1) throw new Error(`expected one ${kind} *${nameSuffix}, found ${found.map((x) => x.metadata.name).join(', ') || 'none'}`);
  return found[0] as T;
}

/**
 * Writes what the Deployment's first container would see at its mount paths, under `root`: ConfigMap
 * and Secret volumes from the rendered objects (Secret data decoded), emptyDirs as empty directories.
 * Volumes whose source is not among the rendered objects (an existing Secret) are left out and returned.
 */
export function materializeMounts(objs: KubeObject[], deployment: V1Deployment, root: string): string[] {
  const spec = deployment.spec?.template.spec;
  if (!spec) throw new Error('deployment has no pod spec');
  const missing: string[] = [];
  for (const m of spec.containers[0].volumeMounts ?? []) {
    const vol = spec.volumes?.find((v) => v.name === m.name);
    if (!vol) throw new Error(`volumeMount ${m.name} has no volume`);
    const dir = join(root, m.mountPath);
    let files: Record<string, string | Buffer> | undefined;
    if (vol.configMap) {
      const cm = objs.find((x) => x.kind === 'ConfigMap' && x.metadata.name === vol.configMap?.name) as V1ConfigMap | undefined;
      files = cm?.data;
    } else if (vol.secret) {
      const s = objs.find((x) => x.kind === 'Secret' && x.metadata.name === vol.secret?.secretName) as V1Secret | undefined;
      // Bytes as the kubelet writes them (a Secret may hold binary data, such as a random key).
      files = s ? Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])) : undefined;
    } else if (vol.emptyDir) {
      files = {};
    }
    if (!files) {
      missing.push(m.name);
      continue;
    }
    mkdirSync(dir, { recursive: true });
    for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, k), v);
  }
  return missing;
}

/** The container's env with downward-API references resolved from `pod`. */
export function containerEnv(deployment: V1Deployment, pod: { name: string; namespace: string; ip: string; uid?: string }): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace, 'metadata.uid': pod.uid ?? 'a1b2c3d4-0000-4000-8000-000000000001', 'status.podIP': pod.ip };
  const env: Record<string, string> = {};
  for (const e of deployment.spec?.template.spec?.containers[0].env ?? []) {
    const ref = e.valueFrom?.fieldRef?.fieldPath;
    if (ref !== undefined) {
      if (!(ref in fields)) throw new Error(`env ${e.name}: unexpected fieldRef ${ref}`);
      env[e.name] = fields[ref];
    } else if (e.value !== undefined) env[e.name] = e.value;
  }
  return env;
}
