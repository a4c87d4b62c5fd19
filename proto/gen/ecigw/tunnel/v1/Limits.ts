// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * Limits the relay enforces per agent.
 */
export interface Limits {
  'maxMessageBytes'?: (number);
  'maxConcurrentStreams'?: (number);
  'requestsPerSecond'?: (number | string);
  'burst'?: (number);
}

/**
 * Limits the relay enforces per agent.
 */
export interface Limits__Output {
  'maxMessageBytes': (number);
  'maxConcurrentStreams': (number);
  'requestsPerSecond': (number);
  'burst': (number);
}
