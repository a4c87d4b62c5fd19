// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * A Kubernetes event the agent should emit for a pod.
 */
export interface PodEvent {
  'reason'?: (string);
  'message'?: (string);
  /**
   * Normal | Warning
   */
  'type'?: (string);
  'count'?: (number);
  /**
   * RFC 3339
   */
  'firstTime'?: (string);
  /**
   * RFC 3339
   */
  'lastTime'?: (string);
}

/**
 * A Kubernetes event the agent should emit for a pod.
 */
export interface PodEvent__Output {
  'reason': (string);
  'message': (string);
  /**
   * Normal | Warning
   */
  'type': (string);
  'count': (number);
  /**
   * RFC 3339
   */
  'firstTime': (string);
  /**
   * RFC 3339
   */
  'lastTime': (string);
}
