// The bootstrap credential the test stacks give their agents: the shared bootstrap ServiceAccount of
// test/cluster/bootstrap-identity.ts with a token minted once per test process (kubeconfig in a temp dir
// removed when the process exits). Agents then run with the node identity they bootstrap from it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterHandle } from '../cluster/fixture.js';
import { bootstrapCredential, type BootstrapCredential } from '../cluster/bootstrap-identity.js';

const cached = new Map<string, Promise<BootstrapCredential>>();

/** The shared bootstrap credential (`nodeClient: false`: one whose CSRs are not auto-approved). */
export function testBootstrap(cluster: ClusterHandle, o: { nodeClient?: boolean } = {}): Promise<BootstrapCredential> {
  const key = `${cluster.server}|${o.nodeClient ?? true}`;
  let p = cached.get(key);
  if (!p) {
    const dir = mkdtempSync(join(tmpdir(), 'ecigw-bootstrap-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    p = bootstrapCredential(cluster.kc, { dir, nodeClient: o.nodeClient });
    p.catch(() => cached.delete(key));
    cached.set(key, p);
  }
  return p;
}
