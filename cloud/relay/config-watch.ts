// Re-reads the relay's config file when it changes (stat polled by the relay's revalidation tick, which
// also follows a Kubernetes ConfigMap's symlink swap). A file that fails to parse or validate keeps the
// running config: one error line per bad version of the file, and a counted reload result.
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from '../../common/log.js';
import type { RelayConfig } from './config.js';

export class ConfigFileWatcher {
  private stamp: string;

  constructor(
    private readonly file: string,
    private readonly parse: (text: string, file: string) => RelayConfig,
    private readonly apply: (next: RelayConfig) => void,
    private readonly log: Logger,
    private readonly onResult: (result: 'ok' | 'error') => void,
  ) {
    this.stamp = this.currentStamp();
  }

  private currentStamp(): string {
    try {
      const st = statSync(this.file);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (e) {
      return `missing:${(e as Error).message}`;
    }
  }

  /** Reloads if the file changed; returns true when a new config was applied. */
  check(): boolean {
    const stamp = this.currentStamp();
    if (stamp === this.stamp) return false;
    this.stamp = stamp;
    let next: RelayConfig;
    try {
      next = this.parse(readFileSync(this.file, 'utf8'), this.file);
    } catch (e) {
      this.onResult('error');
      this.log.error({ file: this.file, err: (e as Error).message }, 'relay config not reloaded: keeping the running config');
      return false;
    }
    this.apply(next);
    this.onResult('ok');
    this.log.info({ file: this.file, tenants: Object.keys(next.tenants).length, certificateIdentities: Object.keys(next.certificateIdentities).length }, 'relay config reloaded');
    return true;
  }
}
