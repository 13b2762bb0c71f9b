// Original file: proto/raftvec/v1/cluster.proto


/**
 * Which FAISS build the node's binding links: "avx2" (built from Debian's source
 * package for this CPU by scripts/setup.sh) or "generic" (Debian's libfaiss-dev).
 */
export interface FaissBuild {
  'variant'?: (string);
  /**
   * e.g. "1.7.3"
   */
  'version'?: (string);
  /**
   * where it came from, in words
   */
  'source'?: (string);
}

/**
 * Which FAISS build the node's binding links: "avx2" (built from Debian's source
 * package for this CPU by scripts/setup.sh) or "generic" (Debian's libfaiss-dev).
 */
export interface FaissBuild__Output {
  'variant': (string);
  /**
   * e.g. "1.7.3"
   */
  'version': (string);
  /**
   * where it came from, in words
   */
  'source': (string);
}
