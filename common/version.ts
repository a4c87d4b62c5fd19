// The build's version, read once from package.json (one place: the package's own version field), so
// handshakes, node status and --version never disagree.
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'eci-hybrid-gateway' && pkg.version) return pkg.version;
    } catch {
      /* not at this depth (sources vs dist/) */
    }
  }
  return '0.0.0-unknown';
}

export const BUILD_VERSION = packageVersion();
