// Original file: proto/ecigw/tunnel/v1/tunnel.proto


export interface GetPodRequest {
  'uid'?: (string);
}

export interface GetPodRequest__Output {
  'uid': (string);
}
