// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * Relay -> agent on port-forward; close_write half-closes toward the agent.
 */
export interface PortForwardOutput {
  'data'?: (Buffer | Uint8Array | string);
  'closeWrite'?: (boolean);
  'msg'?: "data"|"closeWrite";
}

/**
 * Relay -> agent on port-forward; close_write half-closes toward the agent.
 */
export interface PortForwardOutput__Output {
  'data'?: (Buffer);
  'closeWrite'?: (boolean);
  'msg'?: "data"|"closeWrite";
}
