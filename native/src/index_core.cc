// raftvec FAISS binding: index core (no N-API here). See index_core.h.
#include "index_core.h"
#include "hnsw_search.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <unordered_set>

#include <sys/mman.h>

#include <faiss/IndexFlat.h>
#include <faiss/IndexFlatCodes.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexIVFPQR.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/utils/Heap.h>
#include <faiss/utils/distances.h>

// Exported by OpenBLAS (pthread or openmp flavour) only; build.mjs loads the
// addon with LD_BIND_NOW, so a BLAS other than OpenBLAS fails the build.
extern "C" void openblas_set_num_threads(int num_threads);

namespace rv {

namespace {

constexpr uint32_t kSnapshotVersion = 1;
constexpr char kMagic[4] = {'R', 'V', 'F', 'X'};
// Post-filtering never materialises more than this many (distance, id)
// pairs per round; beyond it we fall back to exact search over the allowed
// ids (or accept a short row when there is no allow list).
constexpr size_t kMaxPostFilterEntries = size_t(1) << 24;

std::atomic<int> gSearchThreads{1};
std::atomic<int> gBuildThreads{0};  // 0: omp_get_num_procs()
std::atomic<int> gBlasThreads{1};

// ---- selectors over inner positions ---------------------------------------

// Everything that is not tombstoned.
struct LiveSelector : faiss::IDSelector {
  const uint8_t* dead;
  idx_t n;
  LiveSelector(const uint8_t* d, idx_t n_) : dead(d), n(n_) {}
  bool is_member(idx_t i) const override { return i >= 0 && i < n && !dead[i]; }
};

// An explicit set of positions: a bitmap when dense, a sorted vector when
// sparse (bitmap would cost ntotal bytes per query batch).
struct PositionSetSelector : faiss::IDSelector {
  bool dense = false;
  std::vector<uint8_t> bitmap;
  const std::vector<idx_t>* sorted = nullptr;  // not owned

  PositionSetSelector(const std::vector<idx_t>& sortedPositions, idx_t ntotal) {
    if (sortedPositions.size() * 64 >= static_cast<size_t>(ntotal)) {
      dense = true;
      bitmap.assign(static_cast<size_t>(ntotal), 0);
      for (idx_t p : sortedPositions) bitmap[static_cast<size_t>(p)] = 1;
    } else {
      sorted = &sortedPositions;
    }
  }
  bool is_member(idx_t i) const override {
    if (dense) return i >= 0 && static_cast<size_t>(i) < bitmap.size() && bitmap[i];
    return std::binary_search(sorted->begin(), sorted->end(), i);
  }
};

// ---- IO adapters for write_index / read_index ------------------------------

struct AppendWriter : faiss::IOWriter {
  std::vector<uint8_t>& out;
  explicit AppendWriter(std::vector<uint8_t>& o) : out(o) { name = "raftvec-buffer"; }
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return nitems;
    size_t bytes = size * nitems;
    const uint8_t* p = static_cast<const uint8_t*>(ptr);
    out.insert(out.end(), p, p + bytes);
    return nitems;
  }
};

// Reads straight from caller-owned memory (no copy into a std::vector, unlike
// faiss::VectorIOReader).
struct SpanReader : faiss::IOReader {
  const uint8_t* data;
  size_t len;
  size_t pos = 0;
  SpanReader(const uint8_t* d, size_t l) : data(d), len(l) { name = "raftvec-buffer"; }
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return 0;
    size_t avail = (len - pos) / size;
    size_t k = std::min(nitems, avail);
    if (k > 0) {
      std::memcpy(ptr, data + pos, k * size);
      pos += k * size;
    }
    return k;
  }
};

// Counts what write_index would write, so that the envelope's length field is
// known before the first byte goes to a file.
struct CountingWriter : faiss::IOWriter {
  uint64_t bytes = 0;
  CountingWriter() { name = "raftvec-count"; }
  size_t operator()(const void*, size_t size, size_t nitems) override {
    bytes += static_cast<uint64_t>(size) * nitems;
    return nitems;
  }
};

// An open file, closed on scope exit; errors name the path and the system's reason.
struct File {
  std::FILE* f = nullptr;
  std::string path;
  File(const std::string& p, const char* mode) : path(p) {
    f = std::fopen(p.c_str(), mode);
    if (!f) fail("cannot open");
  }
  ~File() {
    if (f) std::fclose(f);
  }
  [[noreturn]] void fail(const char* what) const {
    throw Error(ErrorCode::Internal, std::string(what) + " " + path + ": " + std::strerror(errno));
  }
  void close() {
    std::FILE* g = f;
    f = nullptr;
    if (std::fclose(g) != 0) fail("cannot close");
  }
};

// Writes to a file, keeping the CRC-32 of everything written.
struct CrcFileWriter : faiss::IOWriter {
  File& file;
  uint32_t crc = 0;
  explicit CrcFileWriter(File& f) : file(f) { name = "raftvec-file"; }
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return nitems;
    put(ptr, size * nitems);
    return nitems;
  }
  void put(const void* ptr, size_t bytes) {
    crc = crc32(static_cast<const uint8_t*>(ptr), bytes, crc);
    if (std::fwrite(ptr, 1, bytes, file.f) != bytes) file.fail("cannot write");
  }
  template <typename T>
  void pod(T v) {
    put(&v, sizeof(T));
  }
};

// Reads at most `limit` bytes of a file from where it stands.
struct LimitedFileReader : faiss::IOReader {
  File& file;
  uint64_t left;
  LimitedFileReader(File& f, uint64_t limit) : file(f), left(limit) { name = "raftvec-file"; }
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return 0;
    size_t k = std::min<uint64_t>(nitems, left / size);
    size_t got = k > 0 ? std::fread(ptr, size, k, file.f) : 0;
    left -= static_cast<uint64_t>(got) * size;
    return got;
  }
};

// FAISS's section of an envelope; whatever FAISS refuses is a corrupt snapshot.
std::unique_ptr<faiss::Index> readFaissSection(faiss::IOReader& reader) {
  try {
    return std::unique_ptr<faiss::Index>(faiss::read_index(&reader));
  } catch (const faiss::FaissException& e) {
    throw Error(ErrorCode::Corrupt, std::string("FAISS could not read the snapshot: ") + e.what());
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::Corrupt, "FAISS could not read the snapshot: allocation failed");
  }
}

template <typename T>
void putPod(std::vector<uint8_t>& out, T v) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

template <typename T>
T getPod(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Factory strings FAISS 1.7.3 accepts but then crashes or hangs on (found by
// fuzzing: "HNSW1" loops forever, "HNSW0"/"PQ0" divide by zero, NSG divides
// by zero on small inputs and cannot be added to incrementally anyway).
// Returns an error message, or "" when the string may be handed to FAISS.
std::string unsafeFactoryReason(const std::string& spec) {
  if (spec.find("NSG") != std::string::npos) {
    return "NSG indexes are not supported: FAISS 1.7.3 builds them once (no incremental add) "
           "and crashes on small inputs; use HNSW";
  }
  for (size_t i = 0; i < spec.size();) {
    if (!std::isdigit(static_cast<unsigned char>(spec[i]))) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < spec.size() && std::isdigit(static_cast<unsigned char>(spec[j]))) j++;
    const std::string digits = spec.substr(i, j - i);
    if (digits.find_first_not_of('0') == std::string::npos) {
      return "numeric parameters must be >= 1 (found \"" + digits + "\")";
    }
    // HNSW<M>: M must be >= 2 (M = 1 makes FAISS's level sampler loop forever)
    const std::string value = digits.substr(digits.find_first_not_of('0'));
    if (i >= 4 && spec.compare(i - 4, 4, "HNSW") == 0 && value == "1") {
      return "HNSW needs M >= 2 (got HNSW" + digits + ")";
    }
    i = j;
  }
  return "";
}

bool containsIdMap(const std::string& spec) {
  std::string lower(spec);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("idmap") != std::string::npos;
}

// Give IVF indexes an Array direct map (8 bytes/vector) so reconstruct() and
// searchExact() work. Inner ids are always sequential positions here, which
// is what the Array map requires (checked for IVFFlat/PQ/SQ and fast-scan).
void enableDirectMap(faiss::Index* inner) {
  faiss::Index* core = inner;
  if (auto* pt = dynamic_cast<faiss::IndexPreTransform*>(inner)) core = pt->index;
  auto* ivf = dynamic_cast<faiss::IndexIVF*>(core);
  if (!ivf) return;
  if (ivf->direct_map.type != faiss::DirectMap::NoMap) return;
  try {
    ivf->set_direct_map_type(faiss::DirectMap::Array);
  } catch (const std::exception&) {
    // leave it without a direct map: reconstruct will report FAISS's error
  }
}

// Rejects NaN, Infinity and |x| > kMaxAbsValue (see index_core.h).
void checkFinite(const float* x, size_t n, size_t d, const char* what) {
  const size_t total = n * d;
  bool bad = false;
  for (size_t i = 0; i < total; i++) bad |= !(std::fabs(x[i]) <= kMaxAbsValue);
  if (!bad) return;
  for (size_t i = 0; i < total; i++) {
    if (!(std::fabs(x[i]) <= kMaxAbsValue)) {
      throw Error(ErrorCode::InvalidArgument,
                  std::string(what) + " row " + std::to_string(i / d) + " component " +
                      std::to_string(i % d) + " is " +
                      (std::isfinite(x[i]) ? "too large (|x| must be <= 1e15)" : "NaN or Infinity"));
    }
  }
}

// The heap of an inner-product search (FAISS's CMin) with ties the other way round:
// CMin::cmp2 keeps the largest labels among equal scores, CMax (L2) the smallest. With
// this one both keep, and list first, the smallest labels.
struct CMinSmallLabelsFirst : faiss::CMin<float, int64_t> {
  static bool cmp2(float a1, float b1, int64_t a2, int64_t b2) {
    return (a1 < b1) || ((a1 == b1) && (a2 > b2));
  }
};

template <class C>
void exactKernel(size_t n, const float* x, size_t d, size_t k, bool ip,
                 const float* block, const int64_t* labels, size_t nb, float* D,
                 int64_t* L) {
#pragma omp parallel for if (n > 1) schedule(static)
  for (int64_t i = 0; i < static_cast<int64_t>(n); i++) {
    const float* q = x + i * d;
    float* Di = D + i * k;
    int64_t* Li = L + i * k;
    for (size_t j = 0; j < nb; j++) {
      const float* v = block + j * d;
      float dis = ip ? faiss::fvec_inner_product(q, v, d) : faiss::fvec_L2sqr(q, v, d);
      // Ties go by label (cmp2), not by the order points sit in the index: replicas
      // hold the same labels but may hold them in another order (one rebuilt its index).
      if (C::cmp2(Di[0], dis, Li[0], labels[j]))
        faiss::heap_replace_top<C>(k, Di, Li, dis, labels[j]);
    }
  }
}

}  // namespace

// ---- errors / threads --------------------------------------------------------

const char* errorCodeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::InvalidArgument: return "INVALID_ARGUMENT";
    case ErrorCode::NotFound: return "NOT_FOUND";
    case ErrorCode::AlreadyExists: return "ALREADY_EXISTS";
    case ErrorCode::FailedPrecondition: return "FAILED_PRECONDITION";
    case ErrorCode::Corrupt: return "CORRUPT";
    case ErrorCode::Faiss: return "FAISS";
    case ErrorCode::Internal: return "INTERNAL";
  }
  return "INTERNAL";
}

ThreadConfig getThreadConfig() {
  int build = gBuildThreads.load();
  if (build <= 0) build = omp_get_num_procs();
  return ThreadConfig{gSearchThreads.load(), build, gBlasThreads.load()};
}

void setThreadConfig(const ThreadConfig& c) {
  if (c.searchThreads >= 1) gSearchThreads = c.searchThreads;
  if (c.buildThreads >= 1) gBuildThreads = c.buildThreads;
  if (c.blasThreads >= 1) {
    gBlasThreads = c.blasThreads;
    openblas_set_num_threads(c.blasThreads);
  }
}

void initFaissDefaults() {
  // FAISS switches exhaustive (Flat, k-means, IVF quantizer) searches from
  // its own per-vector kernel to BLAS sgemm at 20 queries. Debian's
  // libfaiss is built for baseline x86-64 while OpenBLAS dispatches to
  // AVX2/AVX-512 at run time, so BLAS wins much earlier: measured on Flat
  // 100k x 128 (1 thread), L2 batches of 4 / 16 queries went from 106 / 114
  // to 167 / 493 qps. A single L2 query stays on the FAISS kernel (BLAS is
  // slower there because it recomputes the database norms).
  faiss::distance_compute_blas_threshold = 2;
}

void useSearchThreads() { omp_set_num_threads(std::max(1, gSearchThreads.load())); }
void useBuildThreads(size_t n, size_t minParallel) {
  omp_set_num_threads(n >= minParallel ? getThreadConfig().buildThreads : 1);
}

// ---- CRC-32 ------------------------------------------------------------------

// Slicing-by-8 (eight table lookups per 8 bytes): several times faster than a
// byte at a time, which matters for a multi-GB index checked on every load.
uint32_t crc32(const uint8_t* data, size_t len, uint32_t crc) {
  static const auto tables = [] {
    std::vector<std::array<uint32_t, 256>> t(8);
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int j = 0; j < 8; j++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
      for (int k = 1; k < 8; k++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
    return t;
  }();
  const auto& t = tables;
  crc = ~crc;
  while (len >= 8) {
    uint32_t a, b;
    std::memcpy(&a, data, 4);
    std::memcpy(&b, data + 4, 4);
    a ^= crc;  // little-endian host, as everywhere in this file
    crc = t[7][a & 0xFF] ^ t[6][(a >> 8) & 0xFF] ^ t[5][(a >> 16) & 0xFF] ^ t[4][a >> 24] ^
          t[3][b & 0xFF] ^ t[2][(b >> 8) & 0xFF] ^ t[1][(b >> 16) & 0xFF] ^ t[0][b >> 24];
    data += 8;
    len -= 8;
  }
  for (size_t i = 0; i < len; i++) crc = t[0][(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

// ---- construction ------------------------------------------------------------

namespace {
// Recall@10 on 1M clustered 128-d vectors (two builds, efConstruction 128) was
// 0.970-0.973 at efSearch 64, 0.978-0.980 at 128 and 0.985-0.989 at 256; through the
// server a search's own time is a small part of a call's, so the wider search costs
// little there. src/index/faiss.ts: DEFAULT_EF_SEARCH.
constexpr int kDefaultEfSearch = 256;
// FAISS's default efConstruction of 40 builds graphs whose recall@10 at efSearch 64
// varied from 0.96 to 0.99 between builds of the same 100k clustered vectors; at 128
// it was 1.000, and searches were faster (fewer hops), for builds 1.0-2.3x slower.
constexpr int kDefaultEfConstruction = 128;

/** Sets an HNSW index's efSearch for one search and restores it (caller holds the exclusive lock). */
class EfSearchOverride {
 public:
  EfSearchOverride(faiss::IndexHNSW* index, int64_t ef) : index_(index) {
    if (index_ == nullptr) return;
    saved_ = index_->hnsw.efSearch;
    index_->hnsw.efSearch = static_cast<int>(ef);
  }
  ~EfSearchOverride() {
    if (index_ != nullptr) index_->hnsw.efSearch = saved_;
  }
  EfSearchOverride(const EfSearchOverride&) = delete;
  EfSearchOverride& operator=(const EfSearchOverride&) = delete;

 private:
  faiss::IndexHNSW* index_;
  int saved_ = 0;
};

// Code arrays from this size on grow in buffers advised for transparent huge pages.
constexpr size_t kHugePageBytes = size_t{2} << 20;
constexpr size_t kHugeGrowthMin = 2 * kHugePageBytes;

/**
 * Makes room for `adding` more codes in a flat-codes index before FAISS adds them,
 * doubling the array as std::vector would, but in a buffer advised for transparent
 * huge pages (THP "madvise" mode): filling it then takes one page fault per 2 MiB
 * instead of one per 4 KiB, and on these virtual machines a fault costs more than
 * the copy. A single-vector add into a Flat index of 300k vectors took 14.6 µs with
 * std::vector's growth and 4.4-4.6 µs with this. Where THP is off the advice is
 * ignored and this is std::vector's growth.
 */
void reserveCodes(faiss::IndexFlatCodes* flat, size_t adding) {
  std::vector<uint8_t>& codes = flat->codes;
  const size_t need = (static_cast<size_t>(flat->ntotal) + adding) * flat->code_size;
  if (need <= codes.capacity() || need < kHugeGrowthMin) return;
  const size_t capacity = std::max(need, 2 * codes.capacity());
  std::vector<uint8_t> grown;
  grown.reserve(capacity);
  const auto begin = reinterpret_cast<uintptr_t>(grown.data());
  const uintptr_t first = (begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  const uintptr_t last = (begin + capacity) & ~(kHugePageBytes - 1);
  // Advice only: when it is refused the buffer is an ordinary one.
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  grown.assign(codes.begin(), codes.end());
  codes.swap(grown);
}
}  // namespace

IndexCore::IndexCore(std::unique_ptr<IDMap2> idmap)
    : idmap_(std::move(idmap)), d_(idmap_->d), metric_(idmap_->metric_type) {
  classify();
  dead_.assign(static_cast<size_t>(idmap_->ntotal), 0);
  refreshCounters();
}

IndexCore::~IndexCore() = default;

void IndexCore::classify() {
  faiss::Index* inner = idmap_->index;
  pretransform_ = dynamic_cast<faiss::IndexPreTransform*>(inner);
  core_ = pretransform_ ? pretransform_->index : inner;

  // IndexFlatCodes (Flat, PQ, SQ, LSH, RQ/LSQ, ...) compacts its storage on
  // remove_ids, which is exactly what IDMap's id_map compaction assumes.
  strategy_ = dynamic_cast<faiss::IndexFlatCodes*>(core_) ? RemoveStrategy::Compact
                                                          : RemoveStrategy::Tombstone;
  // PQ, SQ, LSH and transforms encode on add (PQ at d = 1024: about a second for 64
  // vectors); only a plain Flat copies.
  addIsCopy_ = pretransform_ == nullptr && dynamic_cast<faiss::IndexFlat*>(core_) != nullptr;

  // Indexes whose 1.7.3 search honours SearchParameters::sel (checked
  // against the library; anything else is post-filtered).
  paramKind_ = ParamKind::None;
  selectorWhitelisted_ = false;
  if (dynamic_cast<faiss::IndexFlat*>(core_) ||
      dynamic_cast<faiss::IndexScalarQuantizer*>(core_)) {
    paramKind_ = ParamKind::Base;
    selectorWhitelisted_ = true;
  } else if (dynamic_cast<faiss::IndexHNSW*>(core_) &&
             !dynamic_cast<faiss::IndexHNSW2Level*>(core_)) {
    paramKind_ = ParamKind::HNSW;
    selectorWhitelisted_ = true;
  } else if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(core_)) {
    bool ok = (dynamic_cast<faiss::IndexIVFFlat*>(ivf) &&
               !dynamic_cast<faiss::IndexIVFFlatDedup*>(ivf)) ||
              (dynamic_cast<faiss::IndexIVFPQ*>(ivf) &&
               !dynamic_cast<faiss::IndexIVFPQR*>(ivf)) ||
              dynamic_cast<faiss::IndexIVFScalarQuantizer*>(ivf);
    if (ok) {
      paramKind_ = ParamKind::IVF;
      selectorWhitelisted_ = true;
    }
  }
}

void IndexCore::refreshCounters() {
  ndeadAtomic_ = static_cast<int64_t>(ndead_);
  live_ = static_cast<int64_t>(idmap_->ntotal) - static_cast<int64_t>(ndead_);
  trained_ = idmap_->is_trained;
}

std::unique_ptr<IndexCore> IndexCore::create(int dimension, const std::string& spec,
                                             faiss::MetricType metric) {
  if (dimension < 1 || dimension > kMaxDimension) {
    throw Error(ErrorCode::InvalidArgument,
                "dimension must be an integer in [1, " + std::to_string(kMaxDimension) +
                    "], got " + std::to_string(dimension));
  }
  if (spec.empty()) throw Error(ErrorCode::InvalidArgument, "factory string must not be empty");
  if (containsIdMap(spec)) {
    throw Error(ErrorCode::InvalidArgument,
                "factory string \"" + spec +
                    "\" must not contain IDMap/IDMap2: the binding wraps every index in IDMap2 itself");
  }
  if (metric != faiss::METRIC_L2 && metric != faiss::METRIC_INNER_PRODUCT) {
    throw Error(ErrorCode::InvalidArgument, "metric must be 'l2' or 'ip'");
  }
  const std::string unsafe = unsafeFactoryReason(spec);
  if (!unsafe.empty()) {
    throw Error(ErrorCode::InvalidArgument, "factory string \"" + spec + "\" rejected: " + unsafe);
  }
  std::unique_ptr<faiss::Index> inner;
  try {
    inner.reset(faiss::index_factory(dimension, spec.c_str(), metric));
  } catch (const faiss::FaissException& e) {
    throw Error(ErrorCode::Faiss,
                "FAISS rejected factory string \"" + spec + "\": " + e.what());
  }
  if (!inner) throw Error(ErrorCode::Faiss, "FAISS returned no index for \"" + spec + "\"");
  enableDirectMap(inner.get());
  // FAISS's default efSearch of 16 gives poor recall even on clustered data.
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(inner.get())) {
    hnsw->hnsw.efSearch = kDefaultEfSearch;
    hnsw->hnsw.efConstruction = kDefaultEfConstruction;
  }
  auto idmap = std::make_unique<IDMap2>(inner.get());
  inner.release();
  idmap->own_fields = true;
  return std::unique_ptr<IndexCore>(new IndexCore(std::move(idmap)));
}

// ---- mutation ------------------------------------------------------------------

void IndexCore::add(size_t n, const float* x, const int64_t* ids) {
  checkFinite(x, n, static_cast<size_t>(d_), "vectors");
  ExclusiveGuard g(lock_);
  addLocked(n, x, ids);
}

bool IndexCore::tryAddNow(size_t n, const float* x, const int64_t* ids) {
  checkFinite(x, n, static_cast<size_t>(d_), "vectors");
  if (!lock_.tryLockExclusive()) return false;
  struct Unlock {
    RwLock& l;
    ~Unlock() { l.unlockExclusive(); }
  } unlock{lock_};
  addLocked(n, x, ids);
  return true;
}

void IndexCore::addLocked(size_t n, const float* x, const int64_t* ids) {
  if (!idmap_->is_trained) {
    throw Error(ErrorCode::FailedPrecondition,
                "index is not trained: call train() with representative vectors before add()");
  }
  if (n == 0) return;
  std::unordered_set<idx_t> seen;
  if (n > 1) seen.reserve(n * 2);
  for (size_t i = 0; i < n; i++) {
    const idx_t id = ids[i];
    if (id < 0) {
      throw Error(ErrorCode::InvalidArgument,
                  "ids[" + std::to_string(i) + "] = " + std::to_string(id) +
                      ": labels must be >= 0 (-1 marks empty result slots)");
    }
    auto it = idmap_->rev_map.find(id);
    if (it != idmap_->rev_map.end() && !dead_[static_cast<size_t>(it->second)]) {
      throw Error(ErrorCode::AlreadyExists,
                  "label " + std::to_string(id) + " already exists in the index (remove it first)");
    }
    if (n > 1 && !seen.insert(id).second) {
      throw Error(ErrorCode::InvalidArgument,
                  "label " + std::to_string(id) + " appears more than once in this add() batch");
    }
  }
  if (auto* flat = dynamic_cast<faiss::IndexFlatCodes*>(core_)) reserveCodes(flat, n);
  idmap_->add_with_ids(static_cast<idx_t>(n), x, ids);
  dead_.resize(static_cast<size_t>(idmap_->ntotal), 0);
  refreshCounters();
}

size_t IndexCore::remove(size_t n, const int64_t* ids) {
  ExclusiveGuard g(lock_);
  std::vector<idx_t> pos = livePositionsOf(ids, n);
  if (pos.empty()) return 0;
  if (strategy_ == RemoveStrategy::Tombstone) {
    for (idx_t p : pos) dead_[static_cast<size_t>(p)] = 1;
    ndead_ += pos.size();
  } else {
    removePositions(pos);
  }
  refreshCounters();
  return pos.size();
}

// Physically removes inner positions (Compact strategy only): the inner
// IndexFlatCodes compacts its codes, we compact id_map/dead_ the same way and
// patch rev_map for the shifted tail instead of rebuilding it from scratch.
void IndexCore::removePositions(const std::vector<idx_t>& P) {
  if (P.empty()) return;
  PositionSetSelector sel(P, idmap_->ntotal);
  const size_t removed = idmap_->index->remove_ids(sel);
  if (removed != P.size()) {
    throw Error(ErrorCode::Internal, "inner index removed " + std::to_string(removed) +
                                         " vectors, expected " + std::to_string(P.size()));
  }
  auto& idm = idmap_->id_map;
  auto& rev = idmap_->rev_map;
  for (idx_t p : P) {
    auto it = rev.find(idm[static_cast<size_t>(p)]);
    if (it != rev.end() && it->second == p) rev.erase(it);
  }
  size_t j = 0, pi = 0;
  for (size_t i = 0; i < idm.size(); i++) {
    if (pi < P.size() && P[pi] == static_cast<idx_t>(i)) {
      if (dead_[i]) ndead_--;
      pi++;
      continue;
    }
    idm[j] = idm[i];
    dead_[j] = dead_[i];
    j++;
  }
  idm.resize(j);
  dead_.resize(j);
  idmap_->ntotal = static_cast<idx_t>(j);
  for (size_t i = static_cast<size_t>(P.front()); i < j; i++) {
    if (!dead_[i]) rev[idm[i]] = static_cast<idx_t>(i);
  }
}

void IndexCore::train(size_t n, const float* x) {
  checkFinite(x, n, static_cast<size_t>(d_), "vectors");
  ExclusiveGuard g(lock_);
  if (idmap_->ntotal > 0) {
    throw Error(ErrorCode::FailedPrecondition,
                "train() must be called before any vector is added (the index holds " +
                    std::to_string(idmap_->ntotal) + ")");
  }
  if (n == 0) throw Error(ErrorCode::InvalidArgument, "train() needs at least one vector");
  idmap_->train(static_cast<idx_t>(n), x);
  refreshCounters();
}

// ---- search ----------------------------------------------------------------------

std::vector<idx_t> IndexCore::livePositionsOf(const int64_t* ids, size_t n) const {
  std::vector<idx_t> pos;
  pos.reserve(n);
  const auto& rev = idmap_->rev_map;
  for (size_t i = 0; i < n; i++) {
    auto it = rev.find(ids[i]);
    if (it == rev.end()) continue;
    if (dead_[static_cast<size_t>(it->second)]) continue;
    pos.push_back(it->second);
  }
  std::sort(pos.begin(), pos.end());
  pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
  return pos;
}

void IndexCore::innerSearch(size_t n, const float* x, size_t k, float* D, idx_t* P,
                            const faiss::IDSelector* sel, const SearchOptions& o) const {
  const float* xt = x;
  std::unique_ptr<const float[]> owned;
  faiss::Index* target = idmap_->index;
  if (pretransform_) {
    xt = pretransform_->apply_chain(static_cast<idx_t>(n), x);
    if (xt != x) owned.reset(xt);
    target = core_;
  }
  faiss::SearchParameters base;
  faiss::SearchParametersHNSW hnswParams;
  faiss::SearchParametersIVF ivfParams;
  faiss::SearchParametersHNSW quantizerParams;
  const faiss::SearchParameters* params = nullptr;
  auto* mutableSel = const_cast<faiss::IDSelector*>(sel);
  const idx_t ntot = idmap_->ntotal;

  switch (paramKind_) {
    case ParamKind::Base:
      if (sel) {
        base.sel = mutableSel;
        params = &base;
      }
      break;
    case ParamKind::HNSW: {
      const auto* h = static_cast<const faiss::IndexHNSW*>(core_);
      int64_t ef = o.efSearch > 0 ? o.efSearch : h->hnsw.efSearch;
      ef = std::max<int64_t>(1, std::min<int64_t>(ef, std::max<int64_t>(static_cast<int64_t>(k), ntot)));
      if (hnswSearchSupported(*h) && !o.faissOwnSearch) {
        searchHnsw(*h, n, xt, k, static_cast<int>(ef), h->hnsw.check_relative_distance, sel, D, P);
        return;
      }
      if (sel || o.efSearch > 0) {
        hnswParams.efSearch = static_cast<int>(ef);
        hnswParams.check_relative_distance = h->hnsw.check_relative_distance;
        hnswParams.sel = mutableSel;
        params = &hnswParams;
      }
      break;
    }
    case ParamKind::IVF: {
      const auto* ivf = static_cast<const faiss::IndexIVF*>(core_);
      const auto* qh = dynamic_cast<const faiss::IndexHNSW*>(ivf->quantizer);
      const bool quantizerEf = o.efSearch > 0 && qh != nullptr;
      if (sel || o.nprobe > 0 || quantizerEf) {
        size_t nprobe = o.nprobe > 0 ? static_cast<size_t>(o.nprobe) : ivf->nprobe;
        ivfParams.nprobe = std::max<size_t>(1, std::min(nprobe, ivf->nlist));
        ivfParams.max_codes = ivf->max_codes;
        ivfParams.sel = mutableSel;
        if (quantizerEf) {
          quantizerParams.efSearch = static_cast<int>(
              std::min<int64_t>(o.efSearch, std::max<int64_t>(ivfParams.nprobe, ivf->nlist)));
          quantizerParams.check_relative_distance = qh->hnsw.check_relative_distance;
          ivfParams.quantizer_params = &quantizerParams;
        }
        params = &ivfParams;
      }
      break;
    }
    case ParamKind::None:
      break;
  }
  target->search(static_cast<idx_t>(n), xt, static_cast<idx_t>(k), D, P, params);
  // Also for one query (k·d work): it orders tied hits by label, as a batch does.
  if (const auto* flat = dynamic_cast<const faiss::IndexFlat*>(target))
    recomputeExactly(*flat, n, xt, k, D, P);
}

// A batch of Flat queries goes through BLAS as |x|^2 + |y|^2 - 2x.y, which loses
// the small differences of large vectors: an exact match of a vector with components
// near 4,000 scored 4 to 8 instead of 0. The k returned distances are recomputed
// directly (k * d per query, what a single query computes), and each row re-sorted,
// equal distances by label.
void IndexCore::recomputeExactly(const faiss::IndexFlat& flat, size_t n, const float* x,
                                 size_t k, float* D, idx_t* P) const {
  const size_t d = static_cast<size_t>(flat.d);
  const float* xb = flat.get_xb();
  const bool ip = flat.metric_type == faiss::METRIC_INNER_PRODUCT;
  std::vector<std::pair<float, idx_t>> row(k);
  for (size_t q = 0; q < n; q++) {
    const float* xq = x + q * d;
    size_t m = 0;
    for (size_t j = 0; j < k; j++) {
      const idx_t p = P[q * k + j];
      if (p < 0 || p >= flat.ntotal) continue;
      const float* y = xb + static_cast<size_t>(p) * d;
      row[m++] = {ip ? faiss::fvec_inner_product(xq, y, d) : faiss::fvec_L2sqr(xq, y, d), p};
    }
    // Equal distances in label order, as an exact search orders them (positions differ
    // between replicas).
    const auto& ids = idmap_->id_map;
    std::sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(m),
              [ip, &ids](const auto& a, const auto& b) {
                if (a.first != b.first) return ip ? a.first > b.first : a.first < b.first;
                return ids[static_cast<size_t>(a.second)] < ids[static_cast<size_t>(b.second)];
              });
    idx_t* Pq = P + q * k;
    for (size_t j = 0; j < m; j++) {
      D[q * k + j] = row[j].first;
      Pq[j] = row[j].second;
    }
    for (size_t j = m; j < k; j++) Pq[j] = -1;
  }
}

size_t IndexCore::countValid(const int64_t* row, size_t k) const {
  size_t c = 0;
  for (size_t j = 0; j < k; j++)
    if (row[j] >= 0) c++;
  return c;
}

void IndexCore::finishRows(size_t n, size_t k, float* D, int64_t* L) const {
  const float empty = metric_ == faiss::METRIC_INNER_PRODUCT
                          ? -std::numeric_limits<float>::infinity()
                          : std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n * k; i++) {
    if (L[i] < 0) {
      L[i] = -1;
      D[i] = empty;
    }
  }
}

void IndexCore::exactOverPositions(size_t n, const float* x, size_t k,
                                   const std::vector<idx_t>& positions, float* D,
                                   int64_t* L) const {
  const bool ip = metric_ == faiss::METRIC_INNER_PRODUCT;
  using CL2 = faiss::CMax<float, int64_t>;
  using CIP = CMinSmallLabelsFirst;
  for (size_t i = 0; i < n; i++) {
    if (ip) faiss::heap_heapify<CIP>(k, D + i * k, L + i * k);
    else faiss::heap_heapify<CL2>(k, D + i * k, L + i * k);
  }
  const size_t d = static_cast<size_t>(d_);
  const size_t np = positions.size();
  if (np > 0 && n > 0) {
    // ~4 MB of reconstructed vectors per block
    const size_t block = std::max<size_t>(1, std::min<size_t>(np, (size_t(4) << 20) / (d * 4)));
    std::vector<float> buf(block * d);
    std::vector<int64_t> labels(block);
    for (size_t b = 0; b < np; b += block) {
      const size_t nb = std::min(block, np - b);
      // reconstruct outside any OpenMP region: FAISS may throw here
      for (size_t j = 0; j < nb; j++) {
        const idx_t p = positions[b + j];
        idmap_->index->reconstruct(p, buf.data() + j * d);
        labels[j] = idmap_->id_map[static_cast<size_t>(p)];
      }
      if (ip) exactKernel<CIP>(n, x, d, k, true, buf.data(), labels.data(), nb, D, L);
      else exactKernel<CL2>(n, x, d, k, false, buf.data(), labels.data(), nb, D, L);
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (ip) faiss::heap_reorder<CIP>(k, D + i * k, L + i * k);
    else faiss::heap_reorder<CL2>(k, D + i * k, L + i * k);
  }
}


void IndexCore::search(size_t n, const float* x, size_t k, const SearchOptions& o, float* D,
                       int64_t* L) const {
  static_assert(sizeof(idx_t) == sizeof(int64_t), "FAISS labels must be 64-bit");
  checkFinite(x, n, static_cast<size_t>(d_), "queries");
  // searchHnsw takes efSearch per call. HNSW variants it does not cover go through
  // FAISS 1.7.3's HNSW::search, which sizes its heap from the graph's own efSearch:
  // there a per-call efSearch is set on the index itself, under the exclusive lock
  // (no other search sees it), and restored afterwards.
  auto* hnsw = paramKind_ == ParamKind::HNSW && o.efSearch > 0
                   ? dynamic_cast<faiss::IndexHNSW*>(core_)
                   : nullptr;
  if (hnsw != nullptr && hnswSearchSupported(*hnsw) && !o.faissOwnSearch) hnsw = nullptr;
  std::optional<SharedGuard> shared;
  std::optional<ExclusiveGuard> exclusive;
  if (hnsw != nullptr) exclusive.emplace(lock_);
  else shared.emplace(lock_);
  EfSearchOverride efOverride(hnsw, o.efSearch);
  std::fill(L, L + n * k, int64_t(-1));
  if (n == 0 || k == 0) return;
  const idx_t ntot = idmap_->ntotal;
  const auto& idm = idmap_->id_map;

  std::vector<idx_t> cand;
  std::unique_ptr<faiss::IDSelector> filter;
  size_t ncand;
  if (o.hasAllow) {
    cand = livePositionsOf(o.allow, o.nAllow);
    ncand = cand.size();
    if (ncand > 0) filter = std::make_unique<PositionSetSelector>(cand, ntot);
  } else if (ndead_ > 0) {
    ncand = static_cast<size_t>(ntot) - ndead_;
    filter = std::make_unique<LiveSelector>(dead_.data(), ntot);
  } else {
    ncand = static_cast<size_t>(ntot);
  }
  if (ncand == 0) {
    finishRows(n, k, D, L);
    return;
  }
  const size_t want = std::min(k, ncand);

  bool done = false;
  if (!filter || (selectorWhitelisted_ && selectorTrusted_.load())) {
    idx_t* P = reinterpret_cast<idx_t*>(L);
    innerSearch(n, x, k, D, P, filter.get(), o);
    bool ok = true;
    for (size_t i = 0; i < n * k; i++) {
      const idx_t p = P[i];
      if (p < 0) continue;
      if (p >= ntot || (filter && !filter->is_member(p))) {
        ok = false;
        break;
      }
    }
    if (ok) {
      for (size_t i = 0; i < n * k; i++) L[i] = P[i] >= 0 ? idm[static_cast<size_t>(P[i])] : -1;
      done = true;
    } else if (filter) {
      // The index ignored the selector: never trust it again, post-filter.
      selectorTrusted_ = false;
      std::fill(L, L + n * k, int64_t(-1));
    } else {
      throw Error(ErrorCode::Internal, "FAISS returned an out-of-range inner id");
    }
  }

  if (!done) {
    // Post-filtering: over-fetch from the unfiltered index, keep the
    // members, grow the fetch size for rows that are still short.
    size_t kk;
    if (o.hasAllow) {
      double ratio = static_cast<double>(ntot) / static_cast<double>(ncand);
      kk = static_cast<size_t>(std::ceil(static_cast<double>(k) * ratio * 2.0));
    } else {
      kk = k + ndead_;
    }
    kk = std::max(k, std::min(kk, static_cast<size_t>(ntot)));
    std::vector<size_t> pending(n);
    std::iota(pending.begin(), pending.end(), size_t(0));
    std::vector<float> qbuf, tD;
    std::vector<idx_t> tP;
    const size_t d = static_cast<size_t>(d_);
    for (;;) {
      const size_t m = pending.size();
      const float* qp = x;
      if (m != n) {
        qbuf.resize(m * d);
        for (size_t j = 0; j < m; j++)
          std::memcpy(qbuf.data() + j * d, x + pending[j] * d, d * sizeof(float));
        qp = qbuf.data();
      }
      tD.resize(m * kk);
      tP.resize(m * kk);
      innerSearch(m, qp, kk, tD.data(), tP.data(), nullptr, o);
      std::vector<size_t> still;
      for (size_t j = 0; j < m; j++) {
        const size_t q = pending[j];
        float* Dr = D + q * k;
        int64_t* Lr = L + q * k;
        size_t c = 0;
        for (size_t t = 0; t < kk && c < k; t++) {
          const idx_t p = tP[j * kk + t];
          if (p < 0 || p >= ntot || !filter->is_member(p)) continue;
          Dr[c] = tD[j * kk + t];
          Lr[c] = idm[static_cast<size_t>(p)];
          c++;
        }
        for (size_t t = c; t < k; t++) Lr[t] = -1;
        if (c < want) still.push_back(q);
      }
      if (still.empty() || kk >= static_cast<size_t>(ntot)) break;
      const size_t next = std::min(static_cast<size_t>(ntot), kk * 4);
      if (next * still.size() > kMaxPostFilterEntries) break;
      kk = next;
      pending.swap(still);
    }
  }

  // Approximate indexes (HNSW, IVF with small nprobe, post-filtering) can
  // come back short under a selective allow list: give those rows the exact
  // top-k over the allowed ids instead.
  if (o.hasAllow) {
    std::vector<size_t> shortRows;
    for (size_t q = 0; q < n; q++)
      if (countValid(L + q * k, k) < want) shortRows.push_back(q);
    if (!shortRows.empty()) {
      const size_t d = static_cast<size_t>(d_);
      const size_t m = shortRows.size();
      std::vector<float> qbuf(m * d), tD(m * k);
      std::vector<int64_t> tL(m * k);
      for (size_t j = 0; j < m; j++)
        std::memcpy(qbuf.data() + j * d, x + shortRows[j] * d, d * sizeof(float));
      try {
        exactOverPositions(m, qbuf.data(), k, cand, tD.data(), tL.data());
        for (size_t j = 0; j < m; j++) {
          std::memcpy(D + shortRows[j] * k, tD.data() + j * k, k * sizeof(float));
          std::memcpy(L + shortRows[j] * k, tL.data() + j * k, k * sizeof(int64_t));
        }
      } catch (const faiss::FaissException&) {
        // this index cannot reconstruct vectors: keep the approximate rows
      }
    }
  }
  finishRows(n, k, D, L);
}

void IndexCore::searchExact(size_t n, const float* x, size_t k, const int64_t* ids, size_t nids,
                            float* D, int64_t* L) const {
  checkFinite(x, n, static_cast<size_t>(d_), "queries");
  SharedGuard g(lock_);
  std::fill(L, L + n * k, int64_t(-1));
  if (n == 0 || k == 0) return;
  std::vector<idx_t> cand = livePositionsOf(ids, nids);
  exactOverPositions(n, x, k, cand, D, L);
  finishRows(n, k, D, L);
}

void IndexCore::reconstruct(int64_t label, float* out) const {
  SharedGuard g(lock_);
  auto it = idmap_->rev_map.find(label);
  if (it == idmap_->rev_map.end() || dead_[static_cast<size_t>(it->second)]) {
    throw Error(ErrorCode::NotFound,
                "label " + std::to_string(label) + " is not in the index (never added, or removed)");
  }
  idmap_->index->reconstruct(it->second, out);
}

// ---- snapshot envelope ---------------------------------------------------------
//
//   offset  size  field
//   0       4     magic "RVFX"
//   4       4     u32 version (1)
//   8       4     u32 flags (0)
//   12      8     u64 faissLen
//   20      L     faiss::write_index(IndexIDMap2) bytes
//   20+L    8     u64 nTombstones
//   28+L    8*T   u64 tombstoned inner positions, strictly increasing
//   ...     4     u32 CRC-32 (IEEE) of every preceding byte
// All integers little-endian (host order on every platform we build for).

std::vector<uint8_t> IndexCore::serialize() const {
  SharedGuard g(lock_);
  std::vector<uint8_t> out;
  if (auto* fc = dynamic_cast<const faiss::IndexFlatCodes*>(core_)) {
    out.reserve(static_cast<size_t>(idmap_->ntotal) * (fc->code_size + 8) + (1 << 16));
  }
  // fixed header; faissLen (offset 12) is patched once FAISS has written
  out.resize(20);
  std::memcpy(out.data(), kMagic, 4);
  const uint32_t version = kSnapshotVersion, flags = 0;
  std::memcpy(out.data() + 4, &version, 4);
  std::memcpy(out.data() + 8, &flags, 4);
  const size_t lenAt = 12;
  const size_t start = out.size();
  {
    AppendWriter w(out);
    faiss::write_index(idmap_.get(), &w);
  }
  const uint64_t faissLen = out.size() - start;
  std::memcpy(out.data() + lenAt, &faissLen, sizeof(faissLen));
  putPod<uint64_t>(out, static_cast<uint64_t>(ndead_));
  for (size_t i = 0; i < dead_.size(); i++)
    if (dead_[i]) putPod<uint64_t>(out, static_cast<uint64_t>(i));
  putPod<uint32_t>(out, crc32(out.data(), out.size()));
  return out;
}

uint64_t IndexCore::serializeToFile(const std::string& path) const {
  SharedGuard g(lock_);
  CountingWriter counter;
  faiss::write_index(idmap_.get(), &counter);
  File file(path, "wb");
  CrcFileWriter w(file);
  w.put(kMagic, 4);
  w.pod<uint32_t>(kSnapshotVersion);
  w.pod<uint32_t>(0);  // flags
  w.pod<uint64_t>(counter.bytes);
  faiss::write_index(idmap_.get(), &w);
  w.pod<uint64_t>(static_cast<uint64_t>(ndead_));
  for (size_t i = 0; i < dead_.size(); i++)
    if (dead_[i]) w.pod<uint64_t>(static_cast<uint64_t>(i));
  const uint32_t crc = w.crc;
  w.put(&crc, 4);
  const uint64_t written = 20 + counter.bytes + 8 + 8 * static_cast<uint64_t>(ndead_) + 4;
  if (std::fflush(file.f) != 0) file.fail("cannot write");
  if (static_cast<uint64_t>(std::ftell(file.f)) != written)
    throw Error(ErrorCode::Internal, "FAISS wrote a different length than it counted to " + path);
  file.close();
  return written;
}

std::unique_ptr<IndexCore> IndexCore::deserializeFile(const std::string& path) {
  constexpr size_t kHeader = 20, kMin = kHeader + 8 + 4;
  File file(path, "rb");
  if (std::fseek(file.f, 0, SEEK_END) != 0) file.fail("cannot read");
  const long end = std::ftell(file.f);
  if (end < 0) file.fail("cannot read");
  const uint64_t len = static_cast<uint64_t>(end);
  if (len < kMin) {
    throw Error(ErrorCode::Corrupt, path + " is too short (" + std::to_string(len) +
                                        " bytes): not a raftvec FAISS snapshot");
  }
  // Pass 1: the CRC of every byte but the last four, against those four.
  std::rewind(file.f);
  std::vector<uint8_t> chunk(1 << 20);
  uint32_t crc = 0;
  uint8_t header[kHeader];
  for (uint64_t at = 0; at < len - 4;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), len - 4 - at));
    if (std::fread(chunk.data(), 1, want, file.f) != want) file.fail("cannot read");
    if (at == 0) std::memcpy(header, chunk.data(), std::min(want, kHeader));
    crc = crc32(chunk.data(), want, crc);
    at += want;
  }
  uint32_t storedCrc = 0;
  if (std::fread(&storedCrc, 1, 4, file.f) != 4) file.fail("cannot read");
  chunk = std::vector<uint8_t>();
  if (std::memcmp(header, kMagic, 4) != 0) {
    throw Error(ErrorCode::Corrupt, path + " is not a raftvec FAISS snapshot (bad magic, expected \"RVFX\")");
  }
  const uint32_t version = getPod<uint32_t>(header + 4);
  if (version != kSnapshotVersion) {
    throw Error(ErrorCode::Corrupt, "unsupported snapshot version " + std::to_string(version) +
                                        " (this build reads version " +
                                        std::to_string(kSnapshotVersion) + ")");
  }
  if (crc != storedCrc) {
    throw Error(ErrorCode::Corrupt, path + ": snapshot checksum mismatch: the file is corrupt or truncated");
  }
  const uint64_t faissLen = getPod<uint64_t>(header + 12);
  if (faissLen > len - kMin) {
    throw Error(ErrorCode::Corrupt, "snapshot FAISS section length is out of bounds");
  }
  // Pass 2: FAISS reads its section, then the tombstones follow.
  if (std::fseek(file.f, static_cast<long>(kHeader), SEEK_SET) != 0) file.fail("cannot read");
  LimitedFileReader reader(file, faissLen);
  std::unique_ptr<faiss::Index> raw = readFaissSection(reader);
  if (reader.left != 0) {
    throw Error(ErrorCode::Corrupt, "snapshot FAISS section has trailing bytes");
  }
  uint64_t ndead = 0;
  if (std::fread(&ndead, 1, 8, file.f) != 8) file.fail("cannot read");
  if (ndead > (len - 4 - kHeader - faissLen - 8) / 8 || kHeader + faissLen + 8 + ndead * 8 + 4 != len) {
    throw Error(ErrorCode::Corrupt, "snapshot tombstone section has the wrong length");
  }
  std::vector<idx_t> deadPos(static_cast<size_t>(ndead));
  for (size_t i = 0; i < ndead; i++) {
    uint64_t p = 0;
    if (std::fread(&p, 1, 8, file.f) != 8) file.fail("cannot read");
    deadPos[i] = static_cast<idx_t>(p);
  }
  return fromRead(std::move(raw), std::move(deadPos));
}

std::unique_ptr<IndexCore> IndexCore::deserialize(const uint8_t* data, size_t len) {
  constexpr size_t kHeader = 20, kMin = kHeader + 8 + 4;
  if (data == nullptr || len < kMin) {
    throw Error(ErrorCode::Corrupt, "snapshot is too short (" + std::to_string(len) +
                                        " bytes): not a raftvec FAISS snapshot");
  }
  if (std::memcmp(data, kMagic, 4) != 0) {
    throw Error(ErrorCode::Corrupt, "not a raftvec FAISS snapshot (bad magic, expected \"RVFX\")");
  }
  const uint32_t version = getPod<uint32_t>(data + 4);
  if (version != kSnapshotVersion) {
    throw Error(ErrorCode::Corrupt, "unsupported snapshot version " + std::to_string(version) +
                                        " (this build reads version " +
                                        std::to_string(kSnapshotVersion) + ")");
  }
  const uint32_t storedCrc = getPod<uint32_t>(data + len - 4);
  if (crc32(data, len - 4) != storedCrc) {
    throw Error(ErrorCode::Corrupt, "snapshot checksum mismatch: the buffer is corrupt or truncated");
  }
  const uint64_t faissLen = getPod<uint64_t>(data + 12);
  if (faissLen > len - kMin) {
    throw Error(ErrorCode::Corrupt, "snapshot FAISS section length is out of bounds");
  }
  SpanReader reader(data + kHeader, static_cast<size_t>(faissLen));
  std::unique_ptr<faiss::Index> raw = readFaissSection(reader);
  if (reader.pos != faissLen) {
    throw Error(ErrorCode::Corrupt, "snapshot FAISS section has trailing bytes");
  }
  size_t off = kHeader + static_cast<size_t>(faissLen);
  const uint64_t ndead = getPod<uint64_t>(data + off);
  off += 8;
  if (ndead > (len - 4 - off) / 8 || off + ndead * 8 + 4 != len) {
    throw Error(ErrorCode::Corrupt, "snapshot tombstone section has the wrong length");
  }
  std::vector<idx_t> deadPos(static_cast<size_t>(ndead));
  for (size_t i = 0; i < ndead; i++) deadPos[i] = static_cast<idx_t>(getPod<uint64_t>(data + off + 8 * i));
  return fromRead(std::move(raw), std::move(deadPos));
}

std::unique_ptr<IndexCore> IndexCore::fromRead(std::unique_ptr<faiss::Index> raw,
                                               std::vector<idx_t> deadPos) {
  auto* idmapRaw = dynamic_cast<IDMap2*>(raw.get());
  if (!idmapRaw) throw Error(ErrorCode::Corrupt, "snapshot does not hold an IndexIDMap2");
  std::unique_ptr<IDMap2> idmap(idmapRaw);
  raw.release();
  if (idmap->metric_type != faiss::METRIC_L2 && idmap->metric_type != faiss::METRIC_INNER_PRODUCT) {
    throw Error(ErrorCode::Corrupt, "snapshot uses an unsupported metric");
  }
  if (idmap->d < 1 || idmap->d > kMaxDimension || !idmap->index ||
      idmap->id_map.size() != static_cast<size_t>(idmap->ntotal) ||
      idmap->index->ntotal != idmap->ntotal) {
    throw Error(ErrorCode::Corrupt, "snapshot IDMap2 is inconsistent");
  }
  for (idx_t id : idmap->id_map) {
    if (id < 0) throw Error(ErrorCode::Corrupt, "snapshot holds a negative label");
  }
  for (size_t i = 0; i < deadPos.size(); i++) {
    if (deadPos[i] < 0 || deadPos[i] >= idmap->ntotal || (i > 0 && deadPos[i] <= deadPos[i - 1])) {
      throw Error(ErrorCode::Corrupt, "snapshot tombstone list is invalid");
    }
  }

  enableDirectMap(idmap->index);
  std::unique_ptr<IndexCore> core(new IndexCore(std::move(idmap)));
  for (idx_t p : deadPos) core->dead_[static_cast<size_t>(p)] = 1;
  core->ndead_ = deadPos.size();
  // rev_map was rebuilt by read_index with "last position wins"; make sure
  // every live label points at its live position.
  for (size_t i = 0; i < core->dead_.size(); i++)
    if (!core->dead_[i]) core->idmap_->rev_map[core->idmap_->id_map[i]] = static_cast<idx_t>(i);
  if (core->strategy_ == RemoveStrategy::Compact && !deadPos.empty()) {
    core->removePositions(deadPos);
  }
  core->refreshCounters();
  return core;
}

}  // namespace rv
