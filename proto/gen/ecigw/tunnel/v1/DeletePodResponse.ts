// Original file: proto/ecigw/tunnel/v1/tunnel.proto


export interface DeletePodResponse {
  'uid'?: (string);
  'existed'?: (boolean);
}

export interface DeletePodResponse__Output {
  'uid': (string);
  'existed': (boolean);
}
