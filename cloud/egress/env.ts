// The egress sidecar's settings as the relay's ECI mapping hands them over: one definition of each env var
// name (cloud/eci/mapping/egress.ts writes them, cli.ts reads them).
export const EGRESS_ENV = {
  /** The pod's egress credential (cloud/relay/egress/token.ts). */
  token: 'ECIGW_EGRESS_TOKEN',
  /** host:port of the relay's egress listener. */
  relayAddress: 'ECIGW_EGRESS_RELAY_ADDRESS',
  /** TLS server name of the relay. */
  serverName: 'ECIGW_EGRESS_SERVER_NAME',
  /** CA bundle (PEM) that signs the relay's serving certificate. */
  caPem: 'ECIGW_EGRESS_RELAY_CA',
  /** The pod's namespace (its DNS search path and what it may reach). */
  namespace: 'ECIGW_EGRESS_POD_NAMESPACE',
  /** The pod's address (FieldRef status.podIP). */
  podIP: 'ECIGW_EGRESS_POD_IP',
  /** The on-prem cluster's DNS domain. */
  clusterDomain: 'ECIGW_EGRESS_CLUSTER_DOMAIN',
  /** Comma-separated resolvers for every other name (the VPC's). */
  upstreamDns: 'ECIGW_EGRESS_UPSTREAM_DNS',
} as const;
