// Original file: proto/ecigw/tunnel/v1/tunnel.proto


export interface CapacityRequest {
}

export interface CapacityRequest__Output {
}
