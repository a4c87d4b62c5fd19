// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * Sent by the agent once per connection.
 */
export interface HandshakeRequest {
  'agentId'?: (string);
  'clusterId'?: (string);
  'nodeNames'?: (string)[];
  /**
   * semver of the agent build
   */
  'agentVersion'?: (string);
  /**
   * tunnel protocol the agent speaks (1)
   */
  'protocolVersion'?: (number);
  /**
   * features the agent offers
   */
  'capabilities'?: (string)[];
  /**
   * features the relay must offer
   */
  'requiredCapabilities'?: (string)[];
}

/**
 * Sent by the agent once per connection.
 */
export interface HandshakeRequest__Output {
  'agentId': (string);
  'clusterId': (string);
  'nodeNames': (string)[];
  /**
   * semver of the agent build
   */
  'agentVersion': (string);
  /**
   * tunnel protocol the agent speaks (1)
   */
  'protocolVersion': (number);
  /**
   * features the agent offers
   */
  'capabilities': (string)[];
  /**
   * features the relay must offer
   */
  'requiredCapabilities': (string)[];
}
