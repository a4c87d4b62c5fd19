// One-time exec tokens: ExecContainerCommand issues one per session; the WebSocket endpoint redeems it once
// within its TTL (30 s by default, like ECI's WebSocketUri).
import { randomBytes } from 'node:crypto';
import type { ExecOptions } from './runtime/types.js';

interface ExecGrant {
  groupId: string;
  regionId: string;
  container: string;
  command: string[];
  options: ExecOptions;
  expiresAt: number;
}

export class ExecTokens {
  private readonly grants = new Map<string, ExecGrant>();
  constructor(private readonly ttlMs: () => number) {}

  issue(grant: Omit<ExecGrant, 'expiresAt'>): string {
    const now = Date.now();
    for (const [k, g] of this.grants) if (g.expiresAt < now) this.grants.delete(k);
    const token = randomBytes(24).toString('base64url');
    this.grants.set(token, { ...grant, expiresAt: now + this.ttlMs() });
    return token;
  }

  redeem(token: string): ExecGrant | undefined {
    const g = this.grants.get(token);
    this.grants.delete(token);
    return g && g.expiresAt >= Date.now() ? g : undefined;
  }
}
