// Original file: proto/raftvec/v1/command.proto


export interface UpdatePayloadCommand {
  'collection'?: (string);
  /**
   * or:
   */
  'ids'?: (string)[];
  /**
   * non-empty: the points that match
   */
  'filterJson'?: (string);
  /**
   * "set" | "overwrite" | "deleteKeys"
   */
  'op'?: (string);
  /**
   * set, overwrite
   */
  'payloadJson'?: (string);
  /**
   * deleteKeys
   */
  'keys'?: (string)[];
}

export interface UpdatePayloadCommand__Output {
  'collection': (string);
  /**
   * or:
   */
  'ids': (string)[];
  /**
   * non-empty: the points that match
   */
  'filterJson': (string);
  /**
   * "set" | "overwrite" | "deleteKeys"
   */
  'op': (string);
  /**
   * set, overwrite
   */
  'payloadJson': (string);
  /**
   * deleteKeys
   */
  'keys': (string)[];
}
