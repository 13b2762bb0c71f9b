// Original file: proto/raftvec/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

/**
 * How far a starting node has come loading its state (while `phase` is "loading").
 */
export interface LoadProgress {
  'collectionsTotal'?: (number);
  'collectionsLoaded'?: (number);
  /**
   * the collection being loaded now
   */
  'collection'?: (string);
  'pointsLoaded'?: (number | string | Long);
}

/**
 * How far a starting node has come loading its state (while `phase` is "loading").
 */
export interface LoadProgress__Output {
  'collectionsTotal': (number);
  'collectionsLoaded': (number);
  /**
   * the collection being loaded now
   */
  'collection': (string);
  'pointsLoaded': (number);
}
