// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * Pods present in the cloud but absent from the inventory; the provider GCs them after a grace period.
 */
export interface Orphan {
  'uid'?: (string);
  'providerId'?: (string);
  'namespace'?: (string);
  'name'?: (string);
}

/**
 * Pods present in the cloud but absent from the inventory; the provider GCs them after a grace period.
 */
export interface Orphan__Output {
  'uid': (string);
  'providerId': (string);
  'namespace': (string);
  'name': (string);
}
