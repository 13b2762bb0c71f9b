// raftvec FAISS binding: the index core, free of any N-API code.
//
// IndexCore owns a faiss::IndexIDMap2 wrapped around an index built by
// faiss::index_factory, plus everything FAISS 1.7.3 does not do for us:
//
//  * filtered search: IndexIDMap2::search refuses SearchParameters in 1.7.3
//    ("search params not supported for this index"), so we search the inner
//    index (idmap->index) directly with a selector over *inner positions*
//    (0..ntotal-1) and map the result positions through id_map ourselves;
//  * tombstones: indexes whose inner remove_ids is missing (HNSW, Refine,
//    fast-scan) or wrong under IDMap2 (IVF: IndexIDMap::remove_ids
//    compacts id_map but IVF does not renumber the inner ids, which silently
//    mislabels every vector added after the removed one) get a per-position
//    "dead" bitmap that every search excludes;
//  * a writer-preferring reader/writer lock so that JS may call anything
//    concurrently (searches shared; add/remove/train exclusive).
//
// Every public method takes the lock itself.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/impl/IDSelector.h>

namespace rv {

using idx_t = faiss::Index::idx_t;
using IDMap2 = faiss::IndexIDMap2;

// Input limits of the core. The addon exports them (`limits`), and
// src/index/faiss.ts refuses to load an addon whose limits differ from
// src/limits.ts: validation must reject everything the binding would, or a
// value that passed validation and was committed would fail to apply on every
// replica.
constexpr int kMaxDimension = 65536;
// NaN/Infinity (and values so large that squared norms overflow float) must
// never reach FAISS: IVF then reads an uninitialised coarse assignment and
// throws from inside an OpenMP region (std::terminate), fast-scan asserts.
// 1e15 keeps d * 4 * x^2 below FLT_MAX for every d <= kMaxDimension.
constexpr float kMaxAbsValue = 1e15f;

// Error with a machine-readable code; the N-API layer maps the code to the
// JS error class (RangeError for INVALID_ARGUMENT) and sets error.code.
enum class ErrorCode {
  InvalidArgument,     // RangeError in JS
  NotFound,            // Error
  AlreadyExists,       // Error
  FailedPrecondition,  // Error
  Corrupt,             // Error
  Faiss,               // Error carrying FAISS's own message
  Internal,
};

const char* errorCodeName(ErrorCode c);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& msg)
      : std::runtime_error(msg), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// Writer-preferring RW lock: a waiting writer blocks new readers, so a stream
// of overlapping searches cannot starve add/remove (glibc's rwlock prefers
// readers).
class RwLock {
 public:
  void lockExclusive() {
    std::lock_guard<std::mutex> turn(turnstile_);
    m_.lock();
  }
  // The exclusive lock if it is free right now (no reader, no writer, none queued).
  bool tryLockExclusive() {
    std::unique_lock<std::mutex> turn(turnstile_, std::try_to_lock);
    return turn.owns_lock() && m_.try_lock();
  }
  void unlockExclusive() { m_.unlock(); }
  void lockShared() {
    { std::lock_guard<std::mutex> turn(turnstile_); }
    m_.lock_shared();
  }
  void unlockShared() { m_.unlock_shared(); }

 private:
  std::mutex turnstile_;
  std::shared_mutex m_;
};

struct ExclusiveGuard {
  explicit ExclusiveGuard(RwLock& l) : l_(l) { l_.lockExclusive(); }
  ~ExclusiveGuard() { l_.unlockExclusive(); }
  ExclusiveGuard(const ExclusiveGuard&) = delete;
  ExclusiveGuard& operator=(const ExclusiveGuard&) = delete;
  RwLock& l_;
};

struct SharedGuard {
  explicit SharedGuard(RwLock& l) : l_(l) { l_.lockShared(); }
  ~SharedGuard() { l_.unlockShared(); }
  SharedGuard(const SharedGuard&) = delete;
  SharedGuard& operator=(const SharedGuard&) = delete;
  RwLock& l_;
};

enum class RemoveStrategy { Compact, Tombstone };

struct SearchOptions {
  int64_t efSearch = 0;  // 0: index default (HNSW, or an IVF's HNSW quantizer)
  int64_t nprobe = 0;    // 0: index default (IVF)
  // HNSW: FAISS's own HNSW::search instead of searchHnsw (to compare the two).
  bool faissOwnSearch = false;
  bool hasAllow = false;
  const int64_t* allow = nullptr;
  size_t nAllow = 0;
};

// Thread counts used by the workers (OpenMP is per calling thread, so each
// libuv worker sets its own count before calling FAISS).
struct ThreadConfig {
  int searchThreads;
  int buildThreads;
  int blasThreads;
};
ThreadConfig getThreadConfig();
void setThreadConfig(const ThreadConfig& c);
// Process-wide FAISS tuning applied once at module load (see .cc).
void initFaissDefaults();
void useSearchThreads();  // omp_set_num_threads for the calling thread
// add/train: OpenMP teams only pay off on large batches -- FAISS k-means and
// HNSW insertion run many short parallel regions, which were measured to be
// 2-10x *slower* with 2 threads than with 1 on a busy 2-core host.
constexpr size_t kParallelAddMin = 1000;
constexpr size_t kParallelTrainMin = 50000;
void useBuildThreads(size_t n, size_t minParallel);

class IndexCore {
 public:
  // Throws rv::Error (InvalidArgument for a bad spec/metric/dimension, Faiss
  // for index_factory failures).
  static std::unique_ptr<IndexCore> create(int dimension,
                                           const std::string& spec,
                                           faiss::MetricType metric);
  // Parses our "RVFX" envelope. Throws rv::Error(Corrupt) on any problem.
  static std::unique_ptr<IndexCore> deserialize(const uint8_t* data,
                                                size_t len);
  // The same envelope read from a file: its CRC is checked in a first pass, then
  // FAISS reads it in a second, so no buffer of the whole index is ever held.
  // Throws rv::Error(Corrupt) on any problem, rv::Error(Internal) when it cannot be read.
  static std::unique_ptr<IndexCore> deserializeFile(const std::string& path);

  ~IndexCore();

  void add(size_t n, const float* x, const int64_t* ids);
  // add() on the calling thread if the index lock is free right now; false (nothing
  // done) if it is not. For small adds, a trip to a worker thread costs more than them.
  bool tryAddNow(size_t n, const float* x, const int64_t* ids);
  size_t remove(size_t n, const int64_t* ids);
  void train(size_t n, const float* x);
  // D/L must hold n*k entries.
  void search(size_t n, const float* x, size_t k, const SearchOptions& opts,
              float* D, int64_t* L) const;
  void searchExact(size_t n, const float* x, size_t k, const int64_t* ids,
                   size_t nids, float* D, int64_t* L) const;
  void reconstruct(int64_t label, float* out) const;
  std::vector<uint8_t> serialize() const;
  // Writes the same envelope to `path` (created or truncated; not fsynced) and
  // returns its size in bytes. Throws rv::Error(Internal) when the file cannot be written.
  uint64_t serializeToFile(const std::string& path) const;

  int dimension() const { return d_; }
  faiss::MetricType metric() const { return metric_; }
  int64_t liveCount() const { return live_.load(); }
  int64_t tombstoneCount() const { return ndeadAtomic_.load(); }
  bool isTrained() const { return trained_.load(); }
  RemoveStrategy removeStrategy() const { return strategy_; }
  // Adding to it is a copy of the vectors (a plain IndexFlat, no transform), not an
  // encoding: cheap enough to do on the caller's thread.
  bool addIsCopy() const { return addIsCopy_; }

 private:
  explicit IndexCore(std::unique_ptr<IDMap2> idmap);
  // add()'s work, with the exclusive lock held.
  void addLocked(size_t n, const float* x, const int64_t* ids);
  // Checks a freshly read IDMap2 and applies the tombstones that came with it.
  static std::unique_ptr<IndexCore> fromRead(std::unique_ptr<faiss::Index> raw,
                                             std::vector<idx_t> deadPos);
  void classify();
  void refreshCounters();

  // helpers, called with the lock held
  std::vector<idx_t> livePositionsOf(const int64_t* ids, size_t n) const;
  void innerSearch(size_t n, const float* x, size_t k, float* D, idx_t* P,
                   const faiss::IDSelector* sel,
                   const SearchOptions& opts) const;
  void exactOverPositions(size_t n, const float* x, size_t k,
                          const std::vector<idx_t>& positions, float* D,
                          int64_t* L) const;
  void recomputeExactly(const faiss::IndexFlat& flat, size_t n, const float* x, size_t k,
                        float* D, idx_t* P) const;
  void finishRows(size_t n, size_t k, float* D, int64_t* L) const;
  void removePositions(const std::vector<idx_t>& sortedPositions);
  size_t countValid(const int64_t* row, size_t k) const;

  mutable RwLock lock_;
  std::unique_ptr<IDMap2> idmap_;
  int d_;
  faiss::MetricType metric_;

  // Classification of the inner index (set once).
  faiss::IndexPreTransform* pretransform_ = nullptr;  // if inner is one
  faiss::Index* core_ = nullptr;  // inner index after PreTransform unwrap
  RemoveStrategy strategy_ = RemoveStrategy::Tombstone;
  bool addIsCopy_ = false;
  enum class ParamKind { None, Base, HNSW, IVF } paramKind_ = ParamKind::None;
  bool selectorWhitelisted_ = false;
  // cleared if a whitelisted index is ever seen returning a filtered-out id
  mutable std::atomic<bool> selectorTrusted_{true};

  // One byte per inner position; 1 = tombstoned. size() == idmap_->ntotal.
  std::vector<uint8_t> dead_;
  size_t ndead_ = 0;

  std::atomic<int64_t> live_{0};
  std::atomic<int64_t> ndeadAtomic_{0};
  std::atomic<bool> trained_{false};
};

// CRC-32 (IEEE) used by the snapshot envelope.
uint32_t crc32(const uint8_t* data, size_t len, uint32_t crc = 0);

}  // namespace rv
