// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { ExportedPort as _ecigw_tunnel_v1_ExportedPort, ExportedPort__Output as _ecigw_tunnel_v1_ExportedPort__Output } from '../../../ecigw/tunnel/v1/ExportedPort.js';

/**
 * A Service burst pods may reach: from its own namespace, the listed ones, or all.
 */
export interface ExportedService {
  'namespace'?: (string);
  'name'?: (string);
  'ports'?: (_ecigw_tunnel_v1_ExportedPort)[];
  /**
   * pods of these namespaces may reach it (its own included when listed)
   */
  'toNamespaces'?: (string)[];
  /**
   * pods of every namespace may reach it
   */
  'allNamespaces'?: (boolean);
}

/**
 * A Service burst pods may reach: from its own namespace, the listed ones, or all.
 */
export interface ExportedService__Output {
  'namespace': (string);
  'name': (string);
  'ports': (_ecigw_tunnel_v1_ExportedPort__Output)[];
  /**
   * pods of these namespaces may reach it (its own included when listed)
   */
  'toNamespaces': (string)[];
  /**
   * pods of every namespace may reach it
   */
  'allNamespaces': (boolean);
}
