// Which on-prem Services burst pods may reach (networking mode `tunnel`, outbound), from the Services'
// own annotation: nothing is exported unless a Service says so. Pure, table-tested.
//   ecigw.io/burst-export: "true"        burst pods of the Service's namespace
//   ecigw.io/burst-export: "ns-a,ns-b"   burst pods of those namespaces (list the Service's own to include it)
//   ecigw.io/burst-export: "*"           burst pods of every namespace
import type { V1Service } from '@kubernetes/client-node';
import type { ExportedService__Output as ExportedService } from '../../proto/gen/ecigw/tunnel/v1/ExportedService.js';

export const EXPORT_ANNOTATION = 'ecigw.io/burst-export';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MAX_NAMESPACES = 1000;

/** The Service's export, or why its annotation cannot be one (undefined both: not exported). */
export function exportOf(svc: V1Service): { export?: ExportedService; problem?: string } {
  const raw = svc.metadata?.annotations?.[EXPORT_ANNOTATION];
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'false') return {};
  const namespace = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  const value = raw.trim();
  const ports = (svc.spec?.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => ({ name: p.name ?? '', port: p.port }));
  if (ports.length === 0) return { problem: `${EXPORT_ANNOTATION}: the Service has no TCP port to export (burst pods reach on-prem Services over TCP only)` };
  if (value === '*') return { export: { namespace, name, ports, toNamespaces: [], allNamespaces: true } };
  if (value === 'true') return { export: { namespace, name, ports, toNamespaces: [namespace], allNamespaces: false } };
  const list = [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))];
  const bad = list.find((n) => !DNS_LABEL.test(n));
  if (bad !== undefined || list.length === 0 || list.length > MAX_NAMESPACES) {
    return { problem: `${EXPORT_ANNOTATION}: ${JSON.stringify(value.slice(0, 100))} must be "true" (this namespace), "*" (every namespace) or a comma-separated list of up to ${MAX_NAMESPACES} namespaces${bad !== undefined ? `; ${JSON.stringify(bad.slice(0, 64))} is not a namespace name` : ''}` };
  }
  return { export: { namespace, name, ports, toNamespaces: list, allNamespaces: false } };
}

/** Whether burst pods of `podNamespace` may reach port `port` of the export. */
export function exportAllows(e: ExportedService, podNamespace: string, port: number): boolean {
  return (e.allNamespaces || e.toNamespaces.includes(podNamespace)) && e.ports.some((p) => p.port === port);
}
