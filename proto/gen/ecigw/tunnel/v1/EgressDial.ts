// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * Relay -> agent on Egress: open a connection to an exported Service for a burst pod.
 */
export interface EgressDial {
  /**
   * names the EgressConnection that answers
   */
  'connId'?: (string);
  'podUid'?: (string);
  'podNamespace'?: (string);
  /**
   * the Service's
   */
  'namespace'?: (string);
  'name'?: (string);
  /**
   * a Service port
   */
  'port'?: (number);
}

/**
 * Relay -> agent on Egress: open a connection to an exported Service for a burst pod.
 */
export interface EgressDial__Output {
  /**
   * names the EgressConnection that answers
   */
  'connId': (string);
  'podUid': (string);
  'podNamespace': (string);
  /**
   * the Service's
   */
  'namespace': (string);
  'name': (string);
  /**
   * a Service port
   */
  'port': (number);
}
