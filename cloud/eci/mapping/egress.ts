// Networking mode `tunnel`, outbound, as ECI sees it (pure): the egress sidecar container every burst pod of
// such a tenant gets, and the pod DNS that sends names to it. The sidecar (cloud/egress/) serves DNS on the
// group's loopback and answers names of exported on-prem Services with local addresses it proxies through
// the relay; every other name goes to the VPC's resolvers. ECI features used: an extra container in the
// group, DnsPolicy None with DnsConfig (nameserver, search path, ndots), env vars with a FieldRef
// (status.podIP), EnvironmentVarHide for the credential, and a namespaced sysctl so it may bind port 53.
import * as $Eci from '@alicloud/eci20180808';
import type { EgressSidecar } from '../../pod-provider/provider.js';
import { EGRESS_ENV } from '../../egress/env.js';

/** The sidecar's container name (a pod container of this name is refused: it would be shadowed). */
export const EGRESS_CONTAINER = 'ecigw-egress';
/** Where the sidecar serves DNS inside the group (its own loopback, as a pod's localhost). */
const SIDECAR_DNS = '127.0.0.1';
/**
 * The sidecar's image runs as a non-root user; this namespaced sysctl lets it bind port 53 (and exported
 * Services' ports below 1024) on the group's loopback. It holds for the whole group (its network namespace).
 */
export const EGRESS_SYSCTL = { name: 'net.ipv4.ip_unprivileged_port_start', value: '0' };

/** The sidecar's share of the group: small, and added to the containers' sum. */
export const EGRESS_RESOURCES = { cpu: 0.25, memoryGiB: 0.25 };

export function egressContainer(e: EgressSidecar, namespace: string): $Eci.CreateContainerGroupRequestContainer {
  const env = (key: string, value: string) => new $Eci.CreateContainerGroupRequestContainerEnvironmentVar({ key, value });
  return new $Eci.CreateContainerGroupRequestContainer({
    name: EGRESS_CONTAINER,
    image: e.image,
    command: e.command,
    cpu: EGRESS_RESOURCES.cpu,
    memory: EGRESS_RESOURCES.memoryGiB,
    environmentVar: [
      env(EGRESS_ENV.token, e.token),
      env(EGRESS_ENV.relayAddress, e.relayAddress),
      env(EGRESS_ENV.serverName, e.serverName ?? e.relayAddress.replace(/:\d+$/, '')),
      env(EGRESS_ENV.caPem, e.caPem),
      env(EGRESS_ENV.namespace, namespace),
      env(EGRESS_ENV.clusterDomain, e.clusterDomain),
      env(EGRESS_ENV.upstreamDns, e.upstreamDns.join(',')),
      new $Eci.CreateContainerGroupRequestContainerEnvironmentVar({ key: EGRESS_ENV.podIP, fieldRef: new $Eci.CreateContainerGroupRequestContainerEnvironmentVarFieldRef({ fieldPath: 'status.podIP' }) }),
    ],
    // The credential is not shown by DescribeContainerGroups.
    environmentVarHide: true,
  });
}

/**
 * ClusterFirst with the sidecar: DnsPolicy None, the sidecar as the only nameserver (it forwards what it does
 * not know to the VPC's resolvers), the Kubernetes search path and ndots:5, as a kubelet writes them.
 */
export function egressDns(e: EgressSidecar, namespace: string, extra?: { searches?: string[]; options?: { name?: string; value?: string }[] }): $Eci.CreateContainerGroupRequestDnsConfig {
  const d = e.clusterDomain;
  const options = new Map<string, string | undefined>([['ndots', '5']]);
  for (const o of extra?.options ?? []) if (o.name) options.set(o.name, o.value);
  return new $Eci.CreateContainerGroupRequestDnsConfig({
    nameServer: [SIDECAR_DNS],
    search: [`${namespace}.svc.${d}`, `svc.${d}`, d, ...(extra?.searches ?? [])].slice(0, 6),
    option: [...options].map(([name, value]) => new $Eci.CreateContainerGroupRequestDnsConfigOption({ name, value })),
  });
}
