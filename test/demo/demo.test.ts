// Runs the demo non-interactively, as a user would (`npm run demo`), and checks its outcome: the burst
// pods ran on ECI, logs and exec went through the tunnel, the groups were released, and it cleaned up.
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), 170_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('the demo bursts to ECI and back, then cleans up', async (t) => {
  const { code, out } = await run(['--replicas', '5']);
  t.is(code, 0, out);
  t.regex(out, /2 pods Running on ECI after/);
  t.regex(out, /Running\s+0\s+\S+\s+127\.10\.\d+\.\d+\s+eci-burst/, 'kubectl get pods -o wide shows ECI IPs on the virtual node');
  t.regex(out, /hello from the container at 127\.10\./, 'exec went through the tunnel');
  t.regex(out, /web: listening on/, 'logs came through the tunnel');
  t.regex(out, /Summary: burst of 2 pods Running on ECI in [\d.]+s, released in [\d.]+s; \d+ ECI calls \(.*CreateContainerGroup 2.*DeleteContainerGroup 2/);
  t.regex(out, /cleaning up/);
});

test('the demo rejects a bad flag with exit code 2', async (t) => {
  const { code, out } = await run(['--replicas', 'lots']);
  t.is(code, 2);
  t.regex(out, /--replicas must be a whole number/);
});
