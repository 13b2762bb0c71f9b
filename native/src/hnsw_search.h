// raftvec FAISS binding: HNSW search with a per-call efSearch and no shared state.
//
// FAISS 1.7.3's HNSW::search sizes its candidate heap from the graph's own
// hnsw.efSearch and only takes the stopping rule from SearchParametersHNSW, so a
// per-call efSearch above the index's is silently capped; setting the field
// instead needs every other search shut out. IndexHNSW::search also adds to the
// global hnsw_stats without a lock. searchHnsw runs the same algorithm as
// HNSW::search's default branch (greedy descent through the upper levels, then a
// bounded beam search on level 0) on the graph, read-only, with the heap sized
// from the call's efSearch: concurrent searches share the index under the
// shared lock, each with its own efSearch.
#pragma once

#include <cstddef>
#include <cstdint>

#include <faiss/IndexHNSW.h>
#include <faiss/impl/IDSelector.h>

namespace rv {

// True when searchHnsw gives the results index.search would: a plain
// IndexHNSW search (Flat, SQ or PQ storage), default search mode, no
// reconstruction from neighbours. Other HNSW variants keep FAISS's own search.
bool hnswSearchSupported(const faiss::IndexHNSW& index);

// Searches n queries x (n * d floats) for their k nearest inner positions.
// D and P hold n * k entries: ascending distances (L2), or descending inner
// products (IP), -1 in P where fewer than k were found. efSearch >= 1, raised to
// k when below it (FAISS 1.7.3 raises only its heap); with efSearch >= k the
// results are FAISS's own. sel (may be null) restricts the results, not the
// traversal, as FAISS does.
// Throws faiss::FaissException before any parallel work if the storage has no
// distance computer.
void searchHnsw(const faiss::IndexHNSW& index, size_t n, const float* x, size_t k,
                int efSearch, bool checkRelativeDistance, const faiss::IDSelector* sel,
                float* D, faiss::Index::idx_t* P);

}  // namespace rv
