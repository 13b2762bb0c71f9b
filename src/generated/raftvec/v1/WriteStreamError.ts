// Original file: proto/raftvec/v1/vector.proto


/**
 * What a unary call would have ended with: its gRPC status code, message and
 * trailing metadata (a follower's leader hint, for one).
 */
export interface WriteStreamError {
  'code'?: (number);
  'message'?: (string);
  'details'?: ({[key: string]: string});
}

/**
 * What a unary call would have ended with: its gRPC status code, message and
 * trailing metadata (a follower's leader hint, for one).
 */
export interface WriteStreamError__Output {
  'code': (number);
  'message': (string);
  'details': ({[key: string]: string});
}
