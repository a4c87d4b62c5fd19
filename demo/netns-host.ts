// A test host with its own non-loopback address, inside a network namespace this helper creates and removes.
// For the few paths that refuse loopback (the API server proxies to a node only at a global-unicast address,
// and refuses loopback EndpointSlice addresses), a TCP port on that host is relayed to a local loopback server:
// API server → <host address>:<port> (in the namespace, reached over a veth pair) → a relay process in the
// namespace → a unix socket → 127.0.0.1:<port>. Nothing listens on this machine's own interfaces. Needs root
// (CI runs as root) and `ip` (iproute2). Used by tests (through test/helpers/netns-host.ts), the benches and
// the demo. If this process dies without close() (even SIGKILL), a guard process removes the namespace.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isAlive } from '../test/cluster/pids.js';

const run = promisify(execFile);
const ip = (...args: string[]) => run('ip', args);
const PREFIX = 'ecigw-t';

export interface NetnsHost {
  /** The network namespace the host is (`ip netns exec <name> …` runs a process on it). */
  name: string;
  /** The host's address (inside the namespace), e.g. 10.251.7.2. */
  address: string;
  /** Relays `address:port` to `127.0.0.1:targetPort` until close(). */
  forward(port: number, targetPort: number): Promise<void>;
  close(): Promise<void>;
}

/** Relay run inside the namespace: TCP on host:port → the unix socket (argv: host, port, socket path). */
const RELAY = `
const net = require('node:net');
const [host, port, sock] = process.argv.slice(1);
net.createServer((c) => {
  const u = net.connect(sock);
  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
  c.pipe(u).pipe(c);
}).listen(Number(port), host, () => console.log('listening'));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

/**
 * Run detached (its own session, so neither a Ctrl-C to our terminal nor a kill of our process group reaches
 * it) with a pipe from us on stdin: when the pipe closes (close() ends it, or this process is gone), it
 * deletes the namespace, which takes the veth pair with it (argv: namespace name).
 */
const GUARD = `
const { execFile } = require('node:child_process');
for (const s of ['SIGINT', 'SIGHUP', 'SIGTERM']) process.on(s, () => undefined);
process.stdin.on('close', () => execFile('ip', ['netns', 'del', process.argv[1]], () => process.exit(0)));
process.stdin.on('error', () => undefined);
process.stdin.resume();
`;

/** Removes namespaces left by test processes that died without cleaning up (their pid is in the name). */
async function sweepStale(): Promise<void> {
  const { stdout } = await ip('netns', 'list').catch(() => ({ stdout: '' }));
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0];
    const pid = Number(name.match(new RegExp(`^${PREFIX}(\\d+)-`))?.[1]);
    if (pid && !isAlive(pid)) await ip('netns', 'del', name).catch(() => undefined);
  }
}

export async function startNetnsHost(): Promise<NetnsHost> {
  if (process.getuid?.() !== 0) throw new Error('creating a network namespace needs root (CI runs as root)');
  await sweepStale();
  const id = `${process.pid}-${randomInt(1e6)}`;
  const ns = `${PREFIX}${id}`;
  const outer = `eg${randomInt(1e8).toString(36)}`;
  const inner = `${outer}i`;
  await ip('netns', 'add', ns);
  const guard = spawn(process.execPath, ['-e', GUARD, ns], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  guard.unref();
  (guard.stdin as Socket).unref();
  guard.stdin?.on('error', () => undefined);
  const relays: ChildProcess[] = [];
  const servers: Server[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-netns-'));
  const close = async () => {
    for (const r of relays) r.kill('SIGKILL');
    for (const s of servers) s.close();
    await ip('netns', 'del', ns).catch(() => undefined); // takes the veth pair with it
    guard.stdin?.end();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // A /30 out of 10.251.0.0/16 that no other test run holds (a taken prefix fails the route and is retried).
    let address = '';
    for (let attempt = 0; !address; attempt++) {
      const n = randomInt(1 << 14) * 4;
      const [hostSide, nsSide] = [`10.251.${n >> 8}.${(n & 255) + 1}`, `10.251.${n >> 8}.${(n & 255) + 2}`];
      try {
        await ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', ns);
        await ip('addr', 'add', `${hostSide}/30`, 'dev', outer);
        await ip('link', 'set', outer, 'up');
        await ip('-n', ns, 'addr', 'add', `${nsSide}/30`, 'dev', inner);
        await ip('-n', ns, 'link', 'set', inner, 'up');
        await ip('-n', ns, 'link', 'set', 'lo', 'up');
        await ip('-n', ns, 'route', 'add', 'default', 'via', hostSide);
        address = nsSide;
      } catch (e) {
        await ip('link', 'del', outer).catch(() => undefined);
        if (attempt >= 5) throw e;
      }
    }
    return {
      name: ns,
      address,
      async forward(port, targetPort) {
        const sock = join(dir, `${port}.sock`);
        const local = createServer((u) => {
          const t = connect(targetPort, '127.0.0.1');
          u.on('error', () => t.destroy());
          t.on('error', () => u.destroy());
          u.pipe(t).pipe(u);
        });
        servers.push(local);
        await new Promise<void>((resolve) => local.listen(sock, resolve));
        const relay = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', RELAY, address, String(port), sock], { stdio: ['pipe', 'pipe', 'inherit'] });
        relays.push(relay);
        await new Promise<void>((resolve, reject) => {
          let out = '';
          const timer = setTimeout(() => reject(new Error(`timed out waiting for the relay in ${ns} to listen on ${address}:${port}`)), 10_000);
          relay.stdout?.on('data', (b: Buffer) => {
            out += b.toString();
            if (out.includes('listening')) {
              clearTimeout(timer);
              resolve();
            }
          });
          relay.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`the relay in ${ns} exited with ${code}`));
          });
        });
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
