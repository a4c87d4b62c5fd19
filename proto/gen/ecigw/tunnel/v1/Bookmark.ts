// Original file: proto/ecigw/tunnel/v1/tunnel.proto


export interface Bookmark {
}

export interface Bookmark__Output {
}
