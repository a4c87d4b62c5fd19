// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * First message of an EgressConnection: the dial's outcome (error empty = connected).
 */
export interface EgressOpen {
  'connId'?: (string);
  'error'?: (string);
}

/**
 * First message of an EgressConnection: the dial's outcome (error empty = connected).
 */
export interface EgressOpen__Output {
  'connId': (string);
  'error': (string);
}
