// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * First message of a port-forward session.
 */
export interface PortForwardStart {
  'namespace'?: (string);
  'podName'?: (string);
  'podUid'?: (string);
  'port'?: (number);
}

/**
 * First message of a port-forward session.
 */
export interface PortForwardStart__Output {
  'namespace': (string);
  'podName': (string);
  'podUid': (string);
  'port': (number);
}
