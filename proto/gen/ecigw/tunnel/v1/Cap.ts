// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * One cap on this cluster's pods (the tenant's, across its clusters, or this cluster's own).
 */
export interface Cap {
  /**
   * "pods", "cpu" (vCPU) or "memory" (GiB)
   */
  'resource'?: (string);
  /**
   * its config key under the tenant, e.g. "quotas.maxVcpu" (for messages)
   */
  'key'?: (string);
  'limit'?: (number | string);
  /**
   * container groups not finished plus creates in flight
   */
  'used'?: (number | string);
  /**
   * the part of `used` that this cluster's pods hold
   */
  'usedHere'?: (number | string);
}

/**
 * One cap on this cluster's pods (the tenant's, across its clusters, or this cluster's own).
 */
export interface Cap__Output {
  /**
   * "pods", "cpu" (vCPU) or "memory" (GiB)
   */
  'resource': (string);
  /**
   * its config key under the tenant, e.g. "quotas.maxVcpu" (for messages)
   */
  'key': (string);
  'limit': (number);
  /**
   * container groups not finished plus creates in flight
   */
  'used': (number);
  /**
   * the part of `used` that this cluster's pods hold
   */
  'usedHere': (number);
}
