// The demo's ECI emulator as its own process (bin/eci-emulator.js, process runtime), tied to the demo's
// life by the reaper: if the demo dies, even by SIGKILL, the emulator gets SIGTERM and stops the container
// processes it started. Its JSON logs go wherever the demo's stderr goes (the log file).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { adoptGroup } from '../test/cluster/reaper.js';

const BIN = fileURLToPath(new URL('../bin/eci-emulator.js', import.meta.url));

export interface EmulatorProcess {
  url: string;
  /** `host:port` for the SDK's Config.endpoint. */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  adminToken: string;
  /** Container groups the emulator holds now (its admin API). */
  groupCount(): Promise<number>;
  close(): Promise<void>;
}

export async function startEmulatorProcess(region: string): Promise<EmulatorProcess> {
  const accessKeyId = `LTAIdemo${randomBytes(6).toString('hex')}`;
  const accessKeySecret = randomBytes(18).toString('base64url');
  const adminToken = randomBytes(18).toString('base64url');
  // `--flag=value`: a random base64url value may begin with '-', which as a separate argument reads as a flag.
  const args = [BIN, '--runtime', 'process', '--port', '0', `--region=${region}`, `--access-key-id=${accessKeyId}`, `--access-key-secret=${accessKeySecret}`, `--admin-token=${adminToken}`];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  adoptGroup(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`eci-emulator exited (${code}) before listening: ${out.trim()}`)));
  });
  return {
    url,
    endpoint: new URL(url).host,
    accessKeyId,
    accessKeySecret,
    adminToken,
    async groupCount() {
      const r = await fetch(`${url}/__admin/groups`, { headers: { authorization: `Bearer ${adminToken}` } });
      if (!r.ok) throw new Error(`emulator admin API: HTTP ${r.status}`);
      return ((await r.json()) as unknown[]).length;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 35_000);
      await exited;
      clearTimeout(force);
    },
  };
}
