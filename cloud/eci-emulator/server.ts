// HTTP front of the emulator: the ECI OpenAPI on `POST /` (action from x-acs-action or Action, params from the
// query string merged with a form body), the guarded admin JSON endpoints under /__admin/ (admin-http.ts) and the
// exec WebSocket upgrade.
// Order per call: fault (reset/timeout) -> signature -> version -> throttling -> injected 5xx -> region -> action.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../common/log.js';
import { ACTIONS, type ActionName, type EmulatorConfig } from './config.js';
import { actions, type ActionContext } from './actions.js';
import type { Admin } from './admin.js';
import { ADMIN_PREFIX, serveAdmin } from './admin-http.js';
import { EciError, missingParameter } from './errors.js';
import type { ExecEndpoint } from './exec-ws.js';
import { decideFault, type RateLimiter } from './limits.js';
import { authenticate, type NonceCache, type SecretLookup } from './signature.js';
import { FlattenError, unflatten } from './unflatten.js';

const MAX_BODY = 4 << 20;
const RPC_COMMON = new Set(['Action', 'Format', 'Version', 'Timestamp', 'SignatureNonce', 'SignatureMethod', 'SignatureVersion', 'SignatureType', 'AccessKeyId', 'Signature', 'SecurityToken']);

interface ServerDeps {
  config: () => EmulatorConfig;
  ctx: ActionContext;
  admin: Admin;
  /** Bearer token every /__admin/ call must present. */
  adminToken: string;
  limiter: RateLimiter;
  nonces: NonceCache;
  exec: ExecEndpoint;
  secretFor: SecretLookup;
  log: Logger;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new EciError(400, 'InvalidParameter.BodyTooLarge', `The request body exceeds ${MAX_BODY} bytes.`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

export function createEmulatorServer(deps: ServerDeps): Server {
  const server = createServer({ maxHeaderSize: 1 << 20, keepAliveTimeout: 30_000 }, (req, res) => {
    void handle(deps, req, res).catch((e: unknown) => {
      deps.log.error({ err: e }, 'unhandled emulator error');
      sendJson(res, 500, { Code: 'InternalError', Message: 'internal error' });
    });
  });
  server.on('upgrade', (req, socket, head) => deps.exec.handleUpgrade(req, socket, head));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  return server;
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (url.pathname.startsWith(ADMIN_PREFIX)) return await serveAdmin({ admin: deps.admin, token: deps.adminToken, readBody, sendJson }, req, res, url);
  const requestId = randomUUID().toUpperCase();
  const hostId = String(req.headers.host ?? 'eci.aliyuncs.com');
  const fail = (e: EciError): void => {
    deps.admin.errorsByCode[e.code] = (deps.admin.errorsByCode[e.code] ?? 0) + 1;
    sendJson(res, e.httpStatus, { RequestId: requestId, HostId: hostId, Code: e.code, Message: e.message, Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(e.code)}&product=Eci` });
  };
  try {
    deps.admin.requests++;
    const body = await readBody(req);
    if (url.pathname !== '/') throw new EciError(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method: ${url.pathname}`);
    const query = url.searchParams;
    const params = new URLSearchParams(query);
    if (body.length && String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded'))
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
    const headerAction = req.headers['x-acs-action'];
    const action = (Array.isArray(headerAction) ? headerAction[0] : headerAction) ?? params.get('Action') ?? undefined;
    if (!action) throw missingParameter('Action');
    if (!(ACTIONS as readonly string[]).includes(action)) throw new EciError(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method: ${action}`);
    const name = action as ActionName;
    deps.admin.callsByAction[name] = (deps.admin.callsByAction[name] ?? 0) + 1;
    const cfg = deps.config();

    const fault = decideFault(cfg.faults[name]);
    if (fault.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'timeout') {
      await new Promise((r) => setTimeout(r, fault.ms));
      req.socket.destroy();
      return;
    }
    let accessKeyId = 'anonymous';
    if (cfg.signature.verify) {
      accessKeyId = authenticate(
        { method: req.method ?? 'POST', pathname: url.pathname, query, headers: req.headers, body },
        { secretFor: deps.secretFor, nonces: deps.nonces, maxSkewMs: cfg.signature.maxSkewSeconds * 1000 },
      ).accessKeyId;
    }
    const version = (req.headers['x-acs-version'] as string | undefined) ?? params.get('Version');
    if (version !== '2018-08-08') throw new EciError(400, 'InvalidVersion', `Specified parameter Version is not valid: ${version ?? '(missing)'}; use 2018-08-08.`);
    if (cfg.rateLimitsEnabled) deps.limiter.take(accessKeyId, name, cfg.rateLimits);
    if (fault.kind === 'error') throw fault.error;

    const entries: [string, string][] = [];
    for (const [k, v] of params) if (!RPC_COMMON.has(k)) entries.push([k, v]);
    const tree = unflatten(entries);
    const regionId = tree.RegionId;
    if (regionId === undefined || regionId === '') throw missingParameter('RegionId');
    if (typeof regionId !== 'string' || !cfg.regions.includes(regionId))
      throw new EciError(400, 'InvalidRegionId', `The specified region ${JSON.stringify(regionId)} does not exist or is not served by this endpoint (${cfg.regions.join(', ')}).`);
    const result = await actions[name](deps.ctx, tree, regionId);
    sendJson(res, 200, { RequestId: requestId, ...result });
  } catch (e) {
    if (e instanceof EciError) return fail(e);
    if (e instanceof FlattenError) return fail(new EciError(400, 'InvalidParameter', e.message));
    deps.log.error({ err: e }, 'action failed');
    fail(new EciError(500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.'));
  }
}
