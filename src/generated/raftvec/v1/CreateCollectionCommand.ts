// Original file: proto/raftvec/v1/command.proto


export interface CreateCollectionCommand {
  'name'?: (string);
  'dimension'?: (number);
  /**
   * "l2" | "ip" | "cosine"
   */
  'metric'?: (string);
  'indexSpec'?: (string);
  /**
   * the collection's default HNSW efSearch; 0: the default, 256
   */
  'efSearch'?: (number);
}

export interface CreateCollectionCommand__Output {
  'name': (string);
  'dimension': (number);
  /**
   * "l2" | "ip" | "cosine"
   */
  'metric': (string);
  'indexSpec': (string);
  /**
   * the collection's default HNSW efSearch; 0: the default, 256
   */
  'efSearch': (number);
}
