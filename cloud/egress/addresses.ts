// Where the egress sidecar listens inside its pod (pure). On ECI every container group has its own network
// namespace: DNS on 127.0.0.1:53 (the pod's resolv.conf names it) and one loopback address per exported
// Service from 127.77.0.0/16, so Services keep their own ports. In the ECI emulator's process runtime every
// group shares the host's loopback and has a loopback pod IP (127.10.x.y): there DNS listens on the pod IP
// (the emulator writes the pod IP where the group asked for 127.0.0.1) and the Services get addresses from a
// /24 derived from the pod IP, so groups do not collide.

export interface AddressPlan {
  /** Where the DNS server listens (port 53). */
  dnsHost: string;
  /** The n-th Service's address (n from 0), or undefined when the plan has no more. */
  serviceAddress(n: number): string | undefined;
  /** The pod shares the host's loopback (the emulator): relay connections must leave from the pod IP. */
  sharedLoopback: boolean;
}

export function addressPlan(podIP: string | undefined): AddressPlan {
  const m = podIP ? /^127\.(\d+)\.(\d+)\.(\d+)$/.exec(podIP) : null;
  if (m && podIP) {
    const [b, c] = [Number(m[2]), Number(m[3])];
    const prefix = `127.${20 + (b % 200)}.${c}`;
    return { dnsHost: podIP, sharedLoopback: true, serviceAddress: (n) => (n < 254 ? `${prefix}.${n + 1}` : undefined) };
  }
  return { dnsHost: '127.0.0.1', sharedLoopback: false, serviceAddress: (n) => (n < 65_534 ? `127.77.${(n + 1) >> 8}.${(n + 1) & 255}` : undefined) };
}
