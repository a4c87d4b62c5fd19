// The demo's Service traffic in networking mode `tunnel`: whether it can run here (root, a network namespace,
// the emulator), and the two directions once the burst pods run. Inbound: a ClusterIP Service over the
// Deployment; the agent publishes an EndpointSlice per burst pod whose endpoint is its own listener at the
// advertised address (a host in a network namespace: the API server refuses loopback endpoints), and the demo
// connects to each endpoint as kube-proxy would after its DNAT (there is no kube-proxy here). Outbound: an
// on-prem HTTP server behind a Service without selector, exported to burst pods, read by name from inside one.
import { createServer, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, DiscoveryV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { SLICE_MANAGER } from '../agent/service-traffic/slices.js';
import { EXPORT_ANNOTATION } from '../agent/service-traffic/exports.js';
import type { LocalGatewayOptions } from './local-gateway.js';
import { startNetnsHost, type NetnsHost } from './netns-host.js';

const EGRESS = fileURLToPath(new URL('../bin/gateway-egress.js', import.meta.url));

/** The network-namespace host the agent advertises, or why the Service-traffic part is skipped. */
export type TunnelNetwork = { host: NetnsHost } | { skip: string };

export async function tunnelNetwork(realEci: boolean): Promise<TunnelNetwork> {
  if (realEci) return { skip: "real ECI (--eci-endpoint) would need the egress sidecar's image published to a registry ECI pulls from" };
  if (process.getuid?.() !== 0) return { skip: 'not running as root, and the host the agent advertises lives in a network namespace, which needs root' };
  try {
    return { host: await startNetnsHost() };
  } catch (e) {
    // `ip`'s own complaint when it ran (execFile's message repeats the command line first).
    const x = e as { stderr?: string; cmd?: string; message?: string };
    const why = x.stderr?.trim() ? `${x.cmd?.split(' ').slice(0, 3).join(' ')}: ${x.stderr.trim().split('\n')[0]}` : (x.message ?? String(e)).split('\n')[0];
    return { skip: `cannot create a network namespace (${why})` };
  }
}

/** The gateway's settings for networking mode `tunnel`: the agent's listeners on loopback, advertised at the host; the egress sidecar. */
export function tunnelGatewayOptions(host: NetnsHost): Pick<LocalGatewayOptions, 'agent' | 'egress'> {
  // The emulated VPC resolver for names that are not exported: this machine's own (as the group's resolv.conf).
  const upstream = /^nameserver\s+(\d+\.\d+\.\d+\.\d+)/m.exec(readFileSync('/etc/resolv.conf', 'utf8'))?.[1] ?? '192.0.2.53';
  return {
    agent: { network: { mode: 'tunnel', advertiseAddress: host.address, host: '127.0.0.1', maxConnections: 256 } },
    egress: { command: [process.execPath, EGRESS], upstreamDns: [upstream] },
  };
}

export interface ServiceDemo {
  core: CoreV1Api;
  discovery: DiscoveryV1Api;
  ns: string;
  host: NetnsHost;
  say: (line: string) => void;
  /** kubectl with the demo's kubeconfig; stdout. */
  k: (...args: string[]) => Promise<string>;
  until: <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, state?: () => string) => Promise<T>;
  indent: (s: string) => string;
  /** Undone with the demo's other cleanups. */
  defer: (undo: () => unknown) => void;
}

/** GET http://host:port/path; the body (one connection of its own). */
export function get(host: string, port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Inbound: Service `web` over the Deployment, each burst endpoint reached and answering with its pod's name. */
export async function showInbound(d: ServiceDemo, burst: number): Promise<void> {
  const { core, discovery, ns, host, say } = d;
  const svc = await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 80 }] } } });
  let seen = '';
  const slices = await d.until(
    `${burst} ready agent endpoints for Service web`,
    async () => {
      const items = (await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=web,endpointslice.kubernetes.io/managed-by=${SLICE_MANAGER}` })).items;
      const ready = items.filter((s: V1EndpointSlice) => s.endpoints?.[0]?.conditions?.ready && s.ports?.[0]?.port);
      seen = `${ready.length} ready of ${items.length}`;
      return ready.length === burst ? ready : undefined;
    },
    60_000,
    () => seen,
  );
  say(`Service web (ClusterIP ${svc.spec?.clusterIP}:80) selects the Deployment's pods; for the ${burst} burst pods the agent published EndpointSlices of its own listeners at ${host.address} (the endpoint-slice controller's own slice lists the datacenter pods, at the mock provider's pod IP):`);
  process.stdout.write(d.indent(await d.k('get', 'endpointslices', '-n', ns, '-l', 'kubernetes.io/service-name=web')));
  say('GET / on each burst endpoint, connecting as kube-proxy would after its DNAT (there is no kube-proxy here); the answers come through the tunnel:');
  let right = 0;
  for (const s of slices) {
    const port = s.ports?.[0]?.port as number;
    const named = s.endpoints?.[0]?.targetRef?.name ?? '?';
    await host.forward(port, port); // the host's port → the agent's listener on loopback
    const answer = (await get(host.address, port)).trim();
    // The web image answers "eci-emulator web: <HOSTNAME> GET /", and HOSTNAME is the pod's name.
    const who = /^eci-emulator web: (\S+) /.exec(answer)?.[1] ?? '?';
    if (who === named) right++;
    process.stdout.write(`    ${host.address}:${port} (endpoint of ${named}): answered by ${who}: "${answer}"\n`);
  }
  say(`${right} of ${slices.length} burst endpoints answered, each by the pod its EndpointSlice names`);
}

/** Outbound: an on-prem HTTP server behind Service `inventory`, exported; a burst pod reads it by name. */
export async function showOutbound(d: ServiceDemo, pod: string): Promise<void> {
  const { core, discovery, ns, host, say } = d;
  let port = 0;
  const server = createServer((q, s) => s.end(`on-prem inventory: ${q.method} ${q.url} served in the datacenter at 127.0.0.1:${port}\n`));
  d.defer(() => server.close());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  await host.forward(8080, port); // the on-prem endpoint's address → the server on loopback
  await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'inventory', annotations: { [EXPORT_ANNOTATION]: 'true' } }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } });
  await discovery.createNamespacedEndpointSlice({
    namespace: ns,
    body: {
      metadata: { name: 'inventory-dc', labels: { 'kubernetes.io/service-name': 'inventory', 'endpointslice.kubernetes.io/managed-by': 'demo.ecigw.io' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [host.address], conditions: { ready: true } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  });
  say(`on-prem Service inventory: an HTTP server on this machine (127.0.0.1:${port}) behind a Service without selector whose EndpointSlice names ${host.address}:8080, exported to burst pods (${EXPORT_ANNOTATION}: "true")`);
  const script = "fetch('http://inventory/stock').then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { process.stderr.write(String(e.cause ?? e)); process.exit(1); })";
  say(`kubectl exec ${pod} -- node -e "fetch('http://inventory/stock')..." (its egress sidecar resolves the name; sidecar -> relay -> agent -> the on-prem endpoint):`);
  let last = '';
  const answer = await d.until(
    'the burst pod to read http://inventory/',
    async () => {
      try {
        return await d.k('exec', '-n', ns, pod, '--', process.execPath, '-e', script);
      } catch (e) {
        last = ((e as { stderr?: string }).stderr ?? String(e)).trim();
        return undefined;
      }
    },
    30_000,
    () => last,
  );
  process.stdout.write(d.indent(answer));
}
