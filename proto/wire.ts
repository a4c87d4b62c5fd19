// The tunnel's wire contract beside the proto: gRPC metadata keys, the protocol version and capability
// names both sides speak, and the checks of a peer's handshake. Agent, relay, tests and benches import
// these; nobody spells a metadata key or a capability by hand (as konnectivity keeps its header names in
// proto/header).

/** Tunnel protocol version spoken by this build (HandshakeRequest/Response.protocol_version, metadata `protocol`). */
export const PROTOCOL_VERSION = 1;

/** The tunnel's fully-qualified gRPC service (proto package + service): `rpc.method` of spans is `<this>/<Method>`. */
export const TUNNEL_SERVICE = 'ecigw.tunnel.v1.Tunnel';

/** gRPC metadata keys of every tunnel call. */
export const METADATA = {
  /** Per-call id, echoed by the relay in headers and trailers and logged by both sides. */
  requestId: 'x-request-id',
  /** The cluster the agent acts for; the relay checks it against the identity's grant. */
  clusterId: 'x-ecigw-cluster-id',
  /** The agent's id (logs only; not an identity). */
  agentId: 'x-ecigw-agent-id',
  /** PROTOCOL_VERSION as a decimal string, on every call but the handshake's own check. */
  protocol: 'x-ecigw-protocol',
  /** `Bearer <token>` for token identities. */
  authorization: 'authorization',
  /**
   * W3C trace context of the agent's span (https://www.w3.org/TR/trace-context/), only while tracing is on.
   * The relay joins the trace after authorizing the call and ignores a malformed or oversized value.
   */
  traceparent: 'traceparent',
  /** W3C tracestate beside `traceparent` (vendor data, at most 512 characters taken). */
  tracestate: 'tracestate',
  /** Agent to relay on exec/attach/port-forward calls: `1` = output may come on a data connection (data-connection.ts). */
  dataConnection: 'x-ecigw-data-connection',
  /** Agent to relay beside `dataConnection`: `1` = the agent can send the session's input on it too. */
  dataInput: 'x-ecigw-data-input',
  /** Relay to agent in a session's response headers: the one-time token that claims the session's data connection. */
  dataToken: 'x-ecigw-data-token',
  /** Relay to agent beside the token: the port of the relay's data listener, on the tunnel's host. */
  dataPort: 'x-ecigw-data-port',
} as const;

/** What this build of either side can do (HandshakeRequest.capabilities / HandshakeResponse.capabilities). */
export const CAPABILITIES = ['pods.v1', 'status.resume', 'exec', 'attach', 'logs', 'portforward', 'stats', 'reconcile', 'service.connections', 'capacity'] as const;

/** Why a peer's protocol version cannot be spoken with, or undefined when it can. */
export function protocolProblem(peer: string, version: number | string | undefined): string | undefined {
  if (String(version) === String(PROTOCOL_VERSION)) return undefined;
  return `${peer} speaks tunnel protocol ${version === undefined || version === '' ? '(none)' : version}; this build speaks ${PROTOCOL_VERSION}`;
}

/** Capabilities in `required` that `offered` lacks. */
export function missingCapabilities(required: readonly string[], offered: readonly string[]): string[] {
  return required.filter((c) => !offered.includes(c));
}
