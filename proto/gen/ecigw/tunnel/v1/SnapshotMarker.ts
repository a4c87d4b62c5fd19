// Original file: proto/ecigw/tunnel/v1/tunnel.proto


export interface SnapshotMarker {
  'podCount'?: (number);
}

export interface SnapshotMarker__Output {
  'podCount': (number);
}
