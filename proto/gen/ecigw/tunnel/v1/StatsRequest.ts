// Original file: proto/ecigw/tunnel/v1/tunnel.proto


export interface StatsRequest {
  /**
   * empty = every pod of the tenant's cluster
   */
  'podUids'?: (string)[];
}

export interface StatsRequest__Output {
  /**
   * empty = every pod of the tenant's cluster
   */
  'podUids': (string)[];
}
