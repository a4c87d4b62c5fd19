// Original file: proto/ecigw/tunnel/v1/tunnel.proto


export interface ListPodsRequest {
}

export interface ListPodsRequest__Output {
}
