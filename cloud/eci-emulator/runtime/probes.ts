// One probe attempt (exec, HTTP GET or TCP connect) against a container of the process runtime.
// Resolves true on success; the caller (process.ts) applies thresholds and periods.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ProbeSpec } from '../model.js';
import { killGroup } from './process-group.js';
import type { ContainerEnvironment } from './sandbox.js';

export async function probeOnce(p: ProbeSpec, ip: string, ce: ContainerEnvironment): Promise<{ ok: boolean; detail: string }> {
  const timeoutMs = p.timeoutSeconds * 1000;
  if (p.exec) {
    const cmd = p.exec.map(ce.rewrite);
    const argv = ce.wrap?.(cmd) ?? cmd;
    return await new Promise((resolve) => {
      const child = spawn(argv[0], argv.slice(1), { cwd: ce.cwd, env: ce.env, stdio: 'ignore', detached: true });
      const timer = setTimeout(() => {
        killGroup(child.pid, 'SIGKILL');
        resolve({ ok: false, detail: `command timed out after ${p.timeoutSeconds}s` });
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ ok: false, detail: e.message });
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ ok: code === 0, detail: `exit code ${code}` });
      });
    });
  }
  if (p.httpGet) {
    const g = p.httpGet;
    return await new Promise((resolve) => {
      const req = (g.scheme === 'HTTPS' ? httpsRequest : request)(
        { host: ip, port: g.port, path: g.path, method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, agent: false },
        (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          resolve({ ok: code >= 200 && code < 400, detail: `HTTP probe failed with statuscode: ${code}` });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ ok: false, detail: `Get "${g.scheme.toLowerCase()}://${ip}:${g.port}${g.path}": ${e.message}` }));
      req.end();
    });
  }
  const port = p.tcpSocket!.port;
  return await new Promise((resolve) => {
    const s = connect({ host: ip, port, timeout: timeoutMs });
    s.on('connect', () => {
      s.destroy();
      resolve({ ok: true, detail: 'connected' });
    });
    s.on('timeout', () => s.destroy(new Error('timeout')));
    s.on('error', (e) => resolve({ ok: false, detail: `dial tcp ${ip}:${port}: ${e.message}` }));
  });
}
