#include "hnsw_search.h"

#include <omp.h>

#include <algorithm>
#include <memory>
#include <typeinfo>
#include <vector>

#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/FaissAssert.h>
#include <faiss/impl/HNSW.h>
#include <faiss/utils/Heap.h>

namespace rv {
namespace {

using faiss::HNSW;
using idx_t = faiss::Index::idx_t;
using storage_idx_t = HNSW::storage_idx_t;

// HNSW minimises distances: for inner product it searches on -ip, as FAISS does.
class NegatedDistance : public faiss::DistanceComputer {
 public:
  explicit NegatedDistance(faiss::DistanceComputer* base) : base_(base) {}
  void set_query(const float* x) override { base_->set_query(x); }
  float operator()(idx_t i) override { return -(*base_)(i); }
  float symmetric_dis(idx_t i, idx_t j) override { return -base_->symmetric_dis(i, j); }

 private:
  std::unique_ptr<faiss::DistanceComputer> base_;
};

std::unique_ptr<faiss::DistanceComputer> distanceTo(const faiss::Index& storage) {
  std::unique_ptr<faiss::DistanceComputer> base(storage.get_distance_computer());
  if (storage.metric_type == faiss::METRIC_INNER_PRODUCT)
    return std::make_unique<NegatedDistance>(base.release());
  return base;
}

// Moves `nearest` to its closest neighbour on `level` until none is closer.
void greedyDescend(const HNSW& hnsw, faiss::DistanceComputer& dis, int level,
                   storage_idx_t& nearest, float& dNearest) {
  for (;;) {
    const storage_idx_t before = nearest;
    size_t begin, end;
    hnsw.neighbor_range(nearest, level, &begin, &end);
    for (size_t i = begin; i < end; i++) {
      const storage_idx_t v = hnsw.neighbors[i];
      if (v < 0) break;
      const float d = dis(v);
      if (d < dNearest) {
        nearest = v;
        dNearest = d;
      }
    }
    if (nearest == before) return;
  }
}

// Level-0 beam search from the candidates; the k best members of `sel` go into
// the max-heap (D, I). Stops when efSearch distances already found are below the
// next candidate's (checkRelativeDistance), or after efSearch steps.
void beamSearch(const HNSW& hnsw, faiss::DistanceComputer& dis, size_t k, float* D, idx_t* I,
                HNSW::MinimaxHeap& candidates, faiss::VisitedTable& visited, int efSearch,
                bool checkRelativeDistance, const faiss::IDSelector* sel) {
  size_t found = 0;
  auto offer = [&](storage_idx_t v, float d) {
    if (sel != nullptr && !sel->is_member(v)) return;
    if (found < k) {
      faiss::maxheap_push(++found, D, I, d, static_cast<idx_t>(v));
    } else if (d < D[0]) {
      faiss::maxheap_replace_top(found, D, I, d, static_cast<idx_t>(v));
    }
  };
  for (int i = 0; i < candidates.size(); i++) {
    offer(candidates.ids[i], candidates.dis[i]);
    visited.set(candidates.ids[i]);
  }
  int steps = 0;
  while (candidates.size() > 0) {
    float d0 = 0;
    const storage_idx_t v0 = candidates.pop_min(&d0);
    if (checkRelativeDistance && candidates.count_below(d0) >= efSearch) break;
    size_t begin, end;
    hnsw.neighbor_range(v0, 0, &begin, &end);
    for (size_t j = begin; j < end; j++) {
      const storage_idx_t v = hnsw.neighbors[j];
      if (v < 0) break;
      if (visited.get(v)) continue;
      visited.set(v);
      const float d = dis(v);
      offer(v, d);
      candidates.push(v, d);
    }
    steps++;
    if (!checkRelativeDistance && steps > efSearch) break;
  }
}

// What one OpenMP thread needs, allocated before the parallel region so that
// nothing inside it can throw.
struct SearchScratch {
  SearchScratch(const faiss::IndexHNSW& index, int heapSize)
      : dis(distanceTo(*index.storage)),
        visited(static_cast<int>(index.ntotal)),
        candidates(heapSize) {}
  std::unique_ptr<faiss::DistanceComputer> dis;
  faiss::VisitedTable visited;
  HNSW::MinimaxHeap candidates;
};

}  // namespace

bool hnswSearchSupported(const faiss::IndexHNSW& index) {
  const std::type_info& t = typeid(index);
  const bool plain = t == typeid(faiss::IndexHNSWFlat) || t == typeid(faiss::IndexHNSWSQ) ||
                     t == typeid(faiss::IndexHNSWPQ);
  return plain && index.storage != nullptr && index.reconstruct_from_neighbors == nullptr &&
         index.hnsw.upper_beam == 1 && index.hnsw.search_bounded_queue;
}

void searchHnsw(const faiss::IndexHNSW& index, size_t n, const float* x, size_t k, int efSearch,
                bool checkRelativeDistance, const faiss::IDSelector* sel, float* D, idx_t* P) {
  FAISS_THROW_IF_NOT_MSG(index.storage != nullptr, "HNSW index without storage");
  FAISS_THROW_IF_NOT(k > 0 && efSearch >= 1);
  const HNSW& hnsw = index.hnsw;
  const size_t d = static_cast<size_t>(index.d);
  // A search for k results looks at least k wide, as in hnswlib and Qdrant. FAISS
  // widens only its heap to k and keeps stopping at efSearch, which with efSearch far
  // below k (16 for k = 100) stops short: recall@100 fell under 0.8 on 30k 8-d points.
  efSearch = std::max(efSearch, static_cast<int>(k));
  const int heapSize = efSearch;
  const int threads = n > 1 ? std::max(1, std::min(omp_get_max_threads(), static_cast<int>(n))) : 1;
  std::vector<std::unique_ptr<SearchScratch>> scratch;
  for (int t = 0; t < threads; t++) scratch.push_back(std::make_unique<SearchScratch>(index, heapSize));

#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(dynamic)
  for (size_t q = 0; q < n; q++) {
    SearchScratch& s = *scratch[static_cast<size_t>(omp_get_thread_num())];
    float* Dq = D + q * k;
    idx_t* Pq = P + q * k;
    faiss::maxheap_heapify(k, Dq, Pq);
    if (hnsw.entry_point >= 0) {
      s.dis->set_query(x + q * d);
      storage_idx_t nearest = hnsw.entry_point;
      float dNearest = (*s.dis)(nearest);
      for (int level = hnsw.max_level; level >= 1; level--)
        greedyDescend(hnsw, *s.dis, level, nearest, dNearest);
      s.candidates.clear();
      s.candidates.push(nearest, dNearest);
      beamSearch(hnsw, *s.dis, k, Dq, Pq, s.candidates, s.visited, efSearch,
                 checkRelativeDistance, sel);
      s.visited.advance();
    }
    faiss::maxheap_reorder(k, Dq, Pq);
  }
  if (index.metric_type == faiss::METRIC_INNER_PRODUCT) {
    for (size_t i = 0; i < n * k; i++) D[i] = -D[i];
  }
}

}  // namespace rv
