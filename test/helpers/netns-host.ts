// The network-namespace test host lives in demo/netns-host.ts (the demo uses it too); tests import it from here.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NetnsHost } from '../../demo/netns-host.js';

export { startNetnsHost, type NetnsHost } from '../../demo/netns-host.js';

const run = promisify(execFile);

/**
 * The name of the network namespace `host` lives in, for running a process on that host
 * (`ip netns exec <name> …`): the test namespace (`ecigw-t…`) that holds the host's address. Each host has a
 * /30 of its own, so the address names one namespace.
 */
export async function netnsName(host: NetnsHost): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'list']);
  for (const name of stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith('ecigw-t'))) {
    const addrs = await run('ip', ['-n', name, '-4', '-o', 'addr', 'show']).then((r) => r.stdout, () => '');
    if (addrs.includes(` ${host.address}/`)) return name;
  }
  throw new Error(`no test network namespace holds ${host.address}`);
}
