// Original file: proto/raftvec/v1/command.proto


export interface PointRecord {
  'id'?: (string);
  /**
   * little-endian float32, dimension * 4 bytes
   */
  'vectorF32'?: (Buffer | Uint8Array | string);
  'metadataJson'?: (string);
}

export interface PointRecord__Output {
  'id': (string);
  /**
   * little-endian float32, dimension * 4 bytes
   */
  'vectorF32': (Buffer);
  'metadataJson': (string);
}
