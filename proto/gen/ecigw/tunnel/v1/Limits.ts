// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * Limits the relay enforces per agent.
 */
export interface Limits {
  'maxMessageBytes'?: (number);
  'maxConcurrentStreams'?: (number);
  'requestsPerSecond'?: (number | string);
  'burst'?: (number);
  /**
   * ServiceConnection streams per agent (beside max_concurrent_streams)
   */
  'maxServiceConnections'?: (number);
}

/**
 * Limits the relay enforces per agent.
 */
export interface Limits__Output {
  'maxMessageBytes': (number);
  'maxConcurrentStreams': (number);
  'requestsPerSecond': (number);
  'burst': (number);
  /**
   * ServiceConnection streams per agent (beside max_concurrent_streams)
   */
  'maxServiceConnections': (number);
}
