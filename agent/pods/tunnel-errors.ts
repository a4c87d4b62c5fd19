// Typed errors of the PodTunnel port, as virtual-kubelet's errdefs: the pod logic asks what kind of failure
// an error is (the is-helpers), never which transport status code carried it. The tunnel adapter
// (agent/tunnel/errors.ts) is the one place that maps gRPC status codes to these kinds.

/** What went wrong, in the pod logic's terms. */
export type TunnelErrorKind =
  /** The relay refuses this request as it is (a bad field, an intent it cannot take); sending it again fails again. */
  | 'InvalidArgument'
  | 'NotFound'
  /** The caller may not do this (identity, grant, credentials). */
  | 'PermissionDenied'
  /** The request cannot be carried out in the current state of the system (protocol, capability, provider state). */
  | 'FailedPrecondition'
  /** A limit (rate, sessions, size) was reached; a later attempt may pass. */
  | 'ResourceExhausted'
  /** The relay cannot be reached or did not answer in time; a later attempt may pass. */
  | 'Unavailable'
  | 'Unknown';

/** An error of a PodTunnel call, with its kind. */
export class PodTunnelError extends Error {
  constructor(
    readonly kind: TunnelErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'PodTunnelError';
  }
}

const isKind =
  (kind: TunnelErrorKind) =>
  (e: unknown): boolean =>
    e instanceof PodTunnelError && e.kind === kind;

export const isInvalidArgument = isKind('InvalidArgument');
export const isFailedPrecondition = isKind('FailedPrecondition');
