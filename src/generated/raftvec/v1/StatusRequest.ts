// Original file: proto/raftvec/v1/cluster.proto


export interface StatusRequest {
}

export interface StatusRequest__Output {
}
