// Original file: proto/ecigw/egress/v1/egress.proto


export interface WatchExportsRequest {
}

export interface WatchExportsRequest__Output {
}
