// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * One image-pull credential, resolved from imagePullSecrets.
 */
export interface RegistryCredential {
  'server'?: (string);
  'username'?: (string);
  'password'?: (string);
}

/**
 * One image-pull credential, resolved from imagePullSecrets.
 */
export interface RegistryCredential__Output {
  'server': (string);
  'username': (string);
  'password': (string);
}
