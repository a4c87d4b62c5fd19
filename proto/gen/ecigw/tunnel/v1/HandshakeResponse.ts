// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { Limits as _ecigw_tunnel_v1_Limits, Limits__Output as _ecigw_tunnel_v1_Limits__Output } from '../../../ecigw/tunnel/v1/Limits.js';

/**
 * The relay's answer; the agent refuses it when protocol or capabilities do not fit.
 */
export interface HandshakeResponse {
  'relayVersion'?: (string);
  'protocolVersion'?: (number);
  'capabilities'?: (string)[];
  'tenantId'?: (string);
  /**
   * identifies this relay process's status sequence
   */
  'relayEpoch'?: (string);
  'limits'?: (_ecigw_tunnel_v1_Limits | null);
}

/**
 * The relay's answer; the agent refuses it when protocol or capabilities do not fit.
 */
export interface HandshakeResponse__Output {
  'relayVersion': (string);
  'protocolVersion': (number);
  'capabilities': (string)[];
  'tenantId': (string);
  /**
   * identifies this relay process's status sequence
   */
  'relayEpoch': (string);
  'limits': (_ecigw_tunnel_v1_Limits__Output | null);
}
