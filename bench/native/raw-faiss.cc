// Raw FAISS baseline for `npm run bench -- search` (compiled by bench/native/build.ts
// against the same FAISS library as raftvec's addon).
//
//   raw-faiss <data.f32> <n> <queries.f32> <nq> <d> <k> <bandwidth-MB>
//
// Builds IndexIDMap2(IndexFlatL2) over the n vectors of data.f32 (float32,
// row-major, labels 0..n-1, as our binding does), then times:
//   - single: one query per search() call, over the nq queries (best of 2 passes);
//   - batch: all nq queries in one search() call (best of 2);
//   - bandwidth: one thread summing a float array of <bandwidth-MB> (best of 5; 0 skips it).
// OpenMP and OpenBLAS threads: their defaults, or OMP_NUM_THREADS / OPENBLAS_NUM_THREADS.
// Prints one JSON object on stdout.
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" int openblas_get_num_threads(void);

namespace {

using idx_t = int64_t;  // faiss::Index::idx_t in 1.7.3, faiss::idx_t later: int64_t in both

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<float> read_floats(const char* path, size_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot open ") + path);
  std::vector<float> out(count);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(count * sizeof(float)));
  if (static_cast<size_t>(in.gcount()) != count * sizeof(float))
    throw std::runtime_error(std::string("short read from ") + path);
  return out;
}

long parse_long(const char* s, const char* what, long min = 1) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < min) throw std::runtime_error(std::string("bad ") + what + ": " + s);
  return v;
}

// One thread summing a float array much larger than the caches: the memory bandwidth
// one core can use (what a single-query Flat scan is bound by).
double bandwidth_gbs(size_t megabytes, double* checksum) {
  const size_t count = megabytes * 1024 * 1024 / sizeof(float);
  std::vector<float> a(count);
  for (size_t i = 0; i < count; i++) a[i] = static_cast<float>(i & 1023) * 0.001f;
  double best = 0;
  double total = 0;
  for (int run = 0; run < 5; run++) {
    auto start = Clock::now();
    float sum = 0;
    const float* p = a.data();
#pragma omp simd reduction(+ : sum)
    for (size_t i = 0; i < count; i++) sum += p[i];
    double s = seconds_since(start);
    total += sum;
    double gbs = static_cast<double>(count * sizeof(float)) / s / 1e9;
    if (gbs > best) best = gbs;
  }
  *checksum = total;
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc != 8) {
      std::fprintf(stderr, "usage: %s <data.f32> <n> <queries.f32> <nq> <d> <k> <bandwidth-MB>\n", argv[0]);
      return 2;
    }
    const long n = parse_long(argv[2], "n");
    const long nq = parse_long(argv[4], "nq");
    const long d = parse_long(argv[5], "d");
    const long k = parse_long(argv[6], "k");
    const long mb = parse_long(argv[7], "bandwidth-MB", 0);
    std::vector<float> data = read_floats(argv[1], static_cast<size_t>(n * d));
    std::vector<float> queries = read_floats(argv[3], static_cast<size_t>(nq * d));
    std::vector<idx_t> ids(static_cast<size_t>(n));
    for (long i = 0; i < n; i++) ids[static_cast<size_t>(i)] = i;

    faiss::IndexFlatL2 flat(d);
    faiss::IndexIDMap2 index(&flat);
    auto add_start = Clock::now();
    index.add_with_ids(n, data.data(), ids.data());
    const double add_seconds = seconds_since(add_start);

    std::vector<float> distances(static_cast<size_t>(nq * k));
    std::vector<idx_t> labels(static_cast<size_t>(nq * k));
    // Warm up (page in the index, start the OpenMP team).
    for (long q = 0; q < std::min(nq, 10L); q++)
      index.search(1, queries.data() + q * d, k, distances.data(), labels.data());

    double single_best = 1e300;
    for (int pass = 0; pass < 2; pass++) {
      auto start = Clock::now();
      for (long q = 0; q < nq; q++)
        index.search(1, queries.data() + q * d, k, distances.data() + q * k, labels.data() + q * k);
      single_best = std::min(single_best, seconds_since(start));
    }
    double batch_best = 1e300;
    for (int pass = 0; pass < 2; pass++) {
      auto start = Clock::now();
      index.search(nq, queries.data(), k, distances.data(), labels.data());
      batch_best = std::min(batch_best, seconds_since(start));
    }
    double checksum = 0;
    const double gbs = mb > 0 ? bandwidth_gbs(static_cast<size_t>(mb), &checksum) : 0;

    std::printf(
        "{\"faissVersion\":\"%d.%d.%d\",\"ompMaxThreads\":%d,\"blasThreads\":%d,"
        "\"addSeconds\":%.6f,\"singleSeconds\":%.6f,\"singleQps\":%.3f,\"batchSeconds\":%.6f,"
        "\"batchQps\":%.3f,\"bandwidthGBs\":%.3f,\"bandwidthMB\":%ld,\"checksum\":%.1f,"
        "\"firstLabel\":%lld}\n",
        FAISS_VERSION_MAJOR, FAISS_VERSION_MINOR, FAISS_VERSION_PATCH, omp_get_max_threads(),
        openblas_get_num_threads(), add_seconds, single_best, static_cast<double>(nq) / single_best,
        batch_best, static_cast<double>(nq) / batch_best, gbs, mb, checksum,
        static_cast<long long>(labels[0]));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "raw-faiss: %s\n", e.what());
    return 1;
  }
}
