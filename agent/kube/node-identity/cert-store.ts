// Where the node's key and certificate live: a directory (as the kubelet's kubelet-client-current.pem,
// one PEM file with the certificate and its key, mode 0600, replaced atomically) or nothing (memory only:
// every start bootstraps a new certificate). A key waiting for its CSR's approval is kept too, so a
// restart while waiting reuses the same request instead of filing another.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { NodeKey } from './csr.js';
import { parseNodeKey } from './csr.js';

export const CURRENT_FILE = 'node-client-current.pem';
export const PENDING_KEY_FILE = 'node-client-pending.key';

export interface StoredPair {
  certPem: string;
  key: NodeKey;
}

export interface CertStore {
  /** Where it keeps things, for logs ('memory' or the directory). */
  readonly where: string;
  /** The stored certificate and key, if any (unchecked: the caller validates them). */
  loadCurrent(): StoredPair | undefined;
  saveCurrent(certPem: string, key: NodeKey): void;
  loadPendingKey(): NodeKey | undefined;
  savePendingKey(key: NodeKey): void;
  clearPendingKey(): void;
}

/** Nothing persists: the process's memory holds the key (see NodeIdentity). */
export class MemoryCertStore implements CertStore {
  readonly where = 'memory';
  loadCurrent(): undefined {
    return undefined;
  }
  saveCurrent(): void {}
  loadPendingKey(): undefined {
    return undefined;
  }
  savePendingKey(): void {}
  clearPendingKey(): void {}
}

/** Files in `dir` (created 0700), each written 0600 to a temporary name, synced and renamed into place. */
export class DirCertStore implements CertStore {
  constructor(readonly where: string) {
    mkdirSync(where, { recursive: true, mode: 0o700 });
  }

  loadCurrent(): StoredPair | undefined {
    const text = this.read(CURRENT_FILE);
    if (text === undefined) return undefined;
    const keyPem = /-----BEGIN (?:EC )?PRIVATE KEY-----[\s\S]+?-----END (?:EC )?PRIVATE KEY-----/.exec(text)?.[0];
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
    if (!keyPem || !certPem) return undefined;
    return { certPem: certPem + '\n', key: parseNodeKey(keyPem) };
  }

  saveCurrent(certPem: string, key: NodeKey): void {
    this.write(CURRENT_FILE, certPem.trimEnd() + '\n' + key.keyPem);
  }

  loadPendingKey(): NodeKey | undefined {
    const text = this.read(PENDING_KEY_FILE);
    return text === undefined ? undefined : parseNodeKey(text);
  }

  savePendingKey(key: NodeKey): void {
    this.write(PENDING_KEY_FILE, key.keyPem);
  }

  clearPendingKey(): void {
    rmSync(join(this.where, PENDING_KEY_FILE), { force: true });
  }

  private read(name: string): string | undefined {
    try {
      return readFileSync(join(this.where, name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  private write(name: string, content: string): void {
    const tmp = join(this.where, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
      chmodSync(tmp, 0o600); // whatever the umask
      const fd = openSync(tmp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(this.where, name));
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }
}
