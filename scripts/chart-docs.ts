// Generates each chart's README.md from the `# --` comments of its values.yaml and its README.md.gotmpl with
// helm-docs, pinned and built once from the Go module proxy into the user's cache. `npm run docs:charts`
// rewrites the READMEs; test/charts/docs.test.ts fails when one is out of date or a value is undocumented.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

const HELM_DOCS_MODULE = 'github.com/norwoodj/helm-docs/cmd/helm-docs';
const HELM_DOCS_VERSION = 'v1.14.2';
export const CHARTS_DIR = fileURLToPath(new URL('../charts/', import.meta.url));
export const CHARTS = ['gateway-agent', 'gateway-relay'] as const;

const cacheRoot = () => join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'eci-hybrid-gateway', 'helm-docs', HELM_DOCS_VERSION);

let building: Promise<string> | undefined;

/** The helm-docs binary, built with `go install` on first use (needs Go and the Go module proxy once). */
function helmDocsBin(): Promise<string> {
  building ??= buildHelmDocs();
  return building;
}

async function buildHelmDocs(): Promise<string> {
  const dir = cacheRoot();
  const bin = join(dir, 'helm-docs');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const staging = mkdtempSync(join(dir, '.install-'));
  try {
    await execFileP('go', ['install', `${HELM_DOCS_MODULE}@${HELM_DOCS_VERSION}`], { env: { ...process.env, GOBIN: staging, GOFLAGS: '-mod=mod' }, timeout: 600_000, maxBuffer: 16 << 20 });
    renameSync(join(staging, 'helm-docs'), bin);
  } catch (e) {
    const err = e as { stderr?: string; code?: string };
    const why = err.code === 'ENOENT' ? 'go is not on PATH (Go 1.26+ is needed, as for the test cluster)' : (err.stderr ?? String(e)).trim();
    throw new Error(`cannot build helm-docs ${HELM_DOCS_VERSION} (go install ${HELM_DOCS_MODULE}): ${why}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return bin;
}

/** The README helm-docs renders for `chart` from its current values.yaml and README.md.gotmpl (under `chartsDir`). */
export async function renderChartReadme(chart: (typeof CHARTS)[number], chartsDir = CHARTS_DIR): Promise<string> {
  const bin = await helmDocsBin();
  const args = ['--chart-search-root', chartsDir, '--chart-to-generate', join(chartsDir, chart), '--template-files', 'README.md.gotmpl', '--sort-values-order', 'file', '--skip-version-footer', '--dry-run', '--log-level', 'warning'];
  const { stdout, stderr } = await execFileP(bin, args, { timeout: 120_000, maxBuffer: 16 << 20 });
  if (!stdout.includes('## Values')) throw new Error(`helm-docs rendered no values table for ${chart}: ${stderr}`);
  return stdout;
}

export const readmePath = (chart: (typeof CHARTS)[number]) => join(CHARTS_DIR, chart, 'README.md');

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  for (const chart of CHARTS) {
    writeFileSync(readmePath(chart), await renderChartReadme(chart));
    console.log(`wrote ${readmePath(chart)}`);
  }
}
