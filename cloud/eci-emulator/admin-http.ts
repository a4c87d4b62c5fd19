// The emulator's admin HTTP API under /__admin/ and its guard. Every call needs the admin token
// (`Authorization: Bearer <token>`); browsers are kept out (any Origin header, or a Sec-Fetch-Site other
// than "none", is refused), and writes must be `application/json`, which a cross-site form or a "simple"
// fetch cannot send without a CORS preflight that this server never answers.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Admin } from './admin.js';
import { ConfigError } from './config.js';
import { SpotReclaimError, parseReclaimRequest } from './spot-reclaim.js';

export const ADMIN_PREFIX = '/__admin/';

/** Why a request may not reach the admin API, as an HTTP status and a message; undefined when it may. */
function adminRefusal(req: Pick<IncomingMessage, 'method' | 'headers'>, token: string): { status: number; message: string } | undefined {
  const h = req.headers;
  if (h.origin !== undefined) return { status: 403, message: 'admin API refuses browser requests (an Origin header was sent)' };
  const site = h['sec-fetch-site'];
  if (site !== undefined && site !== 'none') return { status: 403, message: `admin API refuses browser requests (Sec-Fetch-Site: ${String(site)})` };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(String(h.authorization ?? ''));
  if (!m || !sameSecret(m[1], token)) {
    return { status: 401, message: 'admin API needs "Authorization: Bearer <admin token>" (printed by eci-emulator at start, or set with --admin-token)' };
  }
  if (req.method === 'POST' || req.method === 'PUT') {
    const type = String(h['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return { status: 415, message: `admin writes must be Content-Type: application/json (got ${type || 'none'})` };
  }
  return undefined;
}

/** Compares secrets in constant time (hashing first makes the lengths equal). */
function sameSecret(given: string, want: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b) && given.length === want.length;
}

interface AdminHttpDeps {
  admin: Admin;
  token: string;
  readBody(req: IncomingMessage): Promise<Buffer>;
  sendJson: (res: ServerResponse, status: number, body: unknown) => void;
}

export async function serveAdmin(deps: AdminHttpDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { sendJson } = deps;
  const refusal = adminRefusal(req, deps.token);
  if (refusal) return sendJson(res, refusal.status, { error: refusal.message });
  const route = url.pathname.slice(ADMIN_PREFIX.length);
  const a = deps.admin;
  try {
    if (req.method === 'GET') {
      if (route === 'stats') return sendJson(res, 200, a.stats());
      if (route === 'groups') return sendJson(res, 200, a.listGroups());
      if (route === 'config') return sendJson(res, 200, a.config);
      if (route === 'spot-reclaim') return sendJson(res, 200, a.spotReclaim());
      if (route === 'image-cache') return sendJson(res, 200, a.imageCache());
      if (route === 'prices') return sendJson(res, 200, a.prices());
      return sendJson(res, 404, { error: `unknown admin route ${route}` });
    }
    if (req.method !== 'POST' && req.method !== 'PUT') return sendJson(res, 405, { error: 'use GET or POST' });
    const raw = (await deps.readBody(req)).toString('utf8');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return sendJson(res, 400, { error: 'body must be JSON' });
    }
    switch (route) {
      case 'config':
        a.configure(body);
        break;
      case 'faults':
        a.setFaults(body as Record<string, never>);
        break;
      case 'rate-limits':
        a.setRateLimits(body as Record<string, number> | boolean);
        break;
      case 'create-latency':
        a.setCreateLatency(body as number);
        break;
      case 'stock-out':
        a.setStockOut(body as string[]);
        break;
      case 'max-groups':
        a.setMaxGroups(typeof body === 'number' ? body : Number((body as { maxGroups?: unknown }).maxGroups));
        break;
      case 'reset-stats':
        a.resetStats();
        break;
      case 'spot-reclaim':
        return sendJson(res, 200, { ok: true, settings: a.setSpotReclaim(body) });
      case 'image-cache':
        return sendJson(res, 200, { ok: true, settings: a.setImageCache(body) });
      case 'reclaim':
        return sendJson(res, 200, { ok: true, reclaimed: a.reclaimSpot(parseReclaimRequest(body)) });
      case 'prices':
        return sendJson(res, 200, { ok: true, prices: a.setPrices(body) });
      default:
        return sendJson(res, 404, { error: `unknown admin route ${route}` });
    }
    sendJson(res, 200, { ok: true, config: a.config });
  } catch (e) {
    if (e instanceof ConfigError) return sendJson(res, 400, { error: e.message, field: e.field });
    if (e instanceof SpotReclaimError) return sendJson(res, e.httpStatus, { error: e.message });
    throw e;
  }
}
