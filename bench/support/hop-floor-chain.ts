// Starts the dataplane bench's floor for inbound bytes (hop-floor.ts): two bare pipe processes with the
// agent's and relay's Node flags and the same TLS between them (ECDSA P-256, TLS 1.3, the data connections'
// cipher order), in front of a pod's port. Their address is where the bench sends the floor's download.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCa, issueCert } from '../../common/pki.js';
import { DATA_TLS_CIPHERS } from '../../proto/data-connection.js';
import { IMAGE_NODE_FLAGS, stopChild } from '../gateway-processes.js';
import type { Address } from './dataplane-load.js';

const FLOOR = fileURLToPath(new URL('./hop-floor.ts', import.meta.url));

export interface HopFloor {
  /** Where a client connects (the plain end, as a client connects to an agent listener). */
  address: Address;
  /** The plain end's and the TLS end's process ids (for CPU accounting). */
  edgePid: number;
  tlsPid: number;
  close(): Promise<void>;
}

function start(flags: string[], args: string[]): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, FLOOR, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MALLOC_ARENA_MAX: '2' } });
    let err = '';
    let out = '';
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-500)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve({ child, port: (JSON.parse(line) as { port: number }).port });
    });
    child.once('exit', (code) => reject(new Error(`hop-floor ${args[0]} exited ${code}: ${err}`)));
  });
}

export async function startHopFloor(dir: string, target: Address): Promise<HopFloor> {
  const ca = await createCa('hop-floor-ca');
  const server = await issueCert(ca, { cn: 'hop-floor', dns: ['localhost'], ips: ['127.0.0.1'], server: true });
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text, { mode: 0o600 }), join(dir, name));
  const tls = await start(IMAGE_NODE_FLAGS.relay, ['tls-end', DATA_TLS_CIPHERS, file('floor-cert.pem', server.certPem), file('floor-key.pem', server.keyPem), target.host, String(target.port)]);
  try {
    const edge = await start(IMAGE_NODE_FLAGS.agent, ['plain-end', DATA_TLS_CIPHERS, file('floor-ca.pem', ca.certPem), String(tls.port)]);
    return {
      address: { host: '127.0.0.1', port: edge.port },
      edgePid: edge.child.pid as number,
      tlsPid: tls.child.pid as number,
      close: async () => {
        await stopChild(edge.child, 1000);
        await stopChild(tls.child, 1000);
      },
    };
  } catch (e) {
    await stopChild(tls.child, 1000);
    throw e;
  }
}
