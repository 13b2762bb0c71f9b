// Original file: proto/raftvec/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The node process's memory, in bytes (Node's process.memoryUsage()).
 */
export interface MemoryUsage {
  /**
   * resident set size: everything the process holds in RAM
   */
  'rss'?: (number | string | Long);
  /**
   * JavaScript heap reserved
   */
  'heapTotal'?: (number | string | Long);
  /**
   * JavaScript heap in use (id maps, metadata, garbage not yet collected)
   */
  'heapUsed'?: (number | string | Long);
  /**
   * buffers outside the JavaScript heap that V8 tracks (not FAISS)
   */
  'external'?: (number | string | Long);
}

/**
 * The node process's memory, in bytes (Node's process.memoryUsage()).
 */
export interface MemoryUsage__Output {
  /**
   * resident set size: everything the process holds in RAM
   */
  'rss': (number);
  /**
   * JavaScript heap reserved
   */
  'heapTotal': (number);
  /**
   * JavaScript heap in use (id maps, metadata, garbage not yet collected)
   */
  'heapUsed': (number);
  /**
   * buffers outside the JavaScript heap that V8 tracks (not FAISS)
   */
  'external': (number);
}
