// raftvec FAISS binding: N-API surface (node-addon-api, C++ exceptions).
//
// Heavy work (add, remove, train, search, searchExact, serializeAsync,
// deserializeAsync) runs on the libuv thread pool through AsyncWorker and
// returns a Promise. Input typed arrays are read in place: the worker holds
// persistent references to them (and to the JS index object) until it
// settles, so they cannot be collected while FAISS reads them. Callers must
// not transfer/detach or resize those buffers while a call is pending.
#include <napi.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <faiss/Index.h>
#include <faiss/impl/FaissException.h>

#include "index_core.h"

// Set by native/build.mjs (binding.gyp): which FAISS build is linked in.
#ifndef RAFTVEC_FAISS_AVX2
#define RAFTVEC_FAISS_AVX2 0
#endif
#ifndef RAFTVEC_FAISS_SOURCE
#define RAFTVEC_FAISS_SOURCE "unknown"
#endif
#if RAFTVEC_FAISS_AVX2 && !defined(__AVX2__)
// FAISS's headers have inline SIMD code that must match the library's.
#error "the avx2 variant must be compiled with -mavx2 -mfma -mf16c -mpopcnt"
#endif

#if RAFTVEC_FAISS_AVX2 && (defined(__x86_64__) || defined(__i386__))
#include <unistd.h>

// The avx2 variant on a CPU without AVX2: glibc >= 2.33 already refuses to
// load it (build.mjs links it with -z x86-64-v3, so require() throws "CPU ISA
// level is lower than required"). Elsewhere FAISS's own static initializers
// (partitioning.cpp) would die of SIGILL during dlopen, before Init could
// throw; this runs first (priority 101) and, compiled for baseline x86-64,
// uses no AVX itself. All it can do is say why and exit.
__attribute__((constructor(101), target("arch=x86-64"))) static void requireAvx2() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return;
  static const char msg[] =
      "raftvec: this raftvec_faiss.node links FAISS built for AVX2 (" RAFTVEC_FAISS_SOURCE
      "), but this CPU lacks AVX2/FMA: rebuild it with "
      "`RAFTVEC_FAISS_VARIANT=generic node native/build.mjs`\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  _exit(1);
}
#endif

namespace {

using rv::ErrorCode;

// Per-call bounds of the binding; exported with the core's input limits (see
// Limits below), so src/index/faiss.ts can check at load that validation is
// at least as strict.
constexpr size_t kMaxK = 100000;
constexpr size_t kMaxResultEntries = size_t(1) << 27;  // n*k per call
constexpr int64_t kMaxSearchKnob = 1 << 20;

struct AddonData {
  Napi::FunctionReference indexCtor;
};

Napi::Error makeError(Napi::Env env, ErrorCode code, const std::string& msg,
                      bool typeError = false) {
  Napi::Error e;
  if (code == ErrorCode::InvalidArgument) {
    e = typeError ? Napi::Error(Napi::TypeError::New(env, msg))
                  : Napi::Error(Napi::RangeError::New(env, msg));
  } else {
    e = Napi::Error::New(env, msg);
  }
  e.Set("code", Napi::String::New(env, rv::errorCodeName(code)));
  return e;
}

[[noreturn]] void throwType(Napi::Env env, const std::string& msg) {
  throw makeError(env, ErrorCode::InvalidArgument, msg, true);
}
[[noreturn]] void throwRange(Napi::Env env, const std::string& msg) {
  throw makeError(env, ErrorCode::InvalidArgument, msg, false);
}

// Runs f and converts native exceptions into coded JS errors.
template <typename F>
auto guarded(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const rv::Error& e) {
    throw makeError(env, e.code(), e.what());
  } catch (const faiss::FaissException& e) {
    throw makeError(env, ErrorCode::Faiss, e.what());
  } catch (const std::bad_alloc&) {
    throw makeError(env, ErrorCode::Internal, "out of memory");
  } catch (const std::exception& e) {
    throw makeError(env, ErrorCode::Faiss, e.what());
  }
}

// ---- argument helpers -------------------------------------------------------

struct F32View {
  const float* data;
  size_t length;
};
struct I64View {
  const int64_t* data;
  size_t length;
};

F32View asFloat32(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throwType(env, std::string(name) + " must be a Float32Array");
  }
  auto a = v.As<Napi::Float32Array>();
  return F32View{a.Data(), a.ElementLength()};
}

I64View asBigInt64(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array) {
    throwType(env, std::string(name) + " must be a BigInt64Array");
  }
  auto a = v.As<Napi::TypedArrayOf<int64_t>>();
  return I64View{a.Data(), a.ElementLength()};
}

int64_t asInteger(Napi::Env env, const Napi::Value& v, const char* name, int64_t lo, int64_t hi) {
  if (!v.IsNumber()) throwType(env, std::string(name) + " must be a number");
  double x = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x) || std::floor(x) != x || x < static_cast<double>(lo) ||
      x > static_cast<double>(hi)) {
    throwRange(env, std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "], got " + v.ToString().Utf8Value());
  }
  return static_cast<int64_t>(x);
}

size_t rowsOf(Napi::Env env, size_t length, int d, const char* name) {
  if (length % static_cast<size_t>(d) != 0) {
    throwRange(env, std::string(name) + ".length (" + std::to_string(length) +
                        ") must be a multiple of the dimension (" + std::to_string(d) + ")");
  }
  return length / static_cast<size_t>(d);
}

// ---- async job ----------------------------------------------------------------

// Adds of at most this many vectors to a plain Flat index run on the calling thread.
constexpr size_t kInlineAddMax = 64;

class Job : public Napi::AsyncWorker {
 public:
  using Exec = std::function<void()>;
  using Resolve = std::function<Napi::Value(Napi::Env, std::vector<Napi::ObjectReference>&)>;

  Job(Napi::Env env, Exec exec, Resolve resolve)
      : Napi::AsyncWorker(env, "raftvec:faiss"),
        deferred_(Napi::Promise::Deferred::New(env)),
        exec_(std::move(exec)),
        resolve_(std::move(resolve)) {}

  // Keep a JS object alive until the job settles.
  void keep(const Napi::Value& v) {
    if (v.IsObject()) keep_.emplace_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  // Objects handed to the resolver (e.g. preallocated output arrays).
  void output(const Napi::Value& v) { out_.emplace_back(Napi::Persistent(v.As<Napi::Object>())); }

  Napi::Promise start() {
    Napi::Promise p = deferred_.Promise();
    Queue();
    return p;
  }

 protected:
  void Execute() override {
    try {
      exec_();
    } catch (const rv::Error& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const faiss::FaissException& e) {
      code_ = ErrorCode::Faiss;
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = ErrorCode::Internal;
      SetError("out of memory");
    } catch (const std::exception& e) {
      code_ = ErrorCode::Faiss;
      SetError(e.what());
    } catch (...) {
      code_ = ErrorCode::Internal;
      SetError("unknown native error");
    }
  }

  // Settling must never throw: when a worker thread (or the process) is torn
  // down while a job is in flight, N-API calls fail, node-addon-api turns
  // that into a C++ exception, and an exception escaping a libuv callback
  // aborts the process.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    try {
      Napi::AsyncWorker::OnWorkComplete(env, status);
    } catch (...) {
      // the environment is going away; nobody is left to observe the promise
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      Napi::HandleScope scope(env);
      try {
        deferred_.Resolve(resolve_ ? resolve_(env, out_) : env.Undefined());
      } catch (const Napi::Error& e) {
        deferred_.Reject(e.Value());
      } catch (const std::exception& e) {
        deferred_.Reject(makeError(env, ErrorCode::Internal, e.what()).Value());
      }
    } catch (...) {
    }
  }

  void OnError(const Napi::Error& e) override {
    Napi::Env env = Env();
    try {
      Napi::HandleScope scope(env);
      deferred_.Reject(makeError(env, code_, e.Message()).Value());
    } catch (...) {
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Exec exec_;
  Resolve resolve_;
  ErrorCode code_ = ErrorCode::Internal;
  std::vector<Napi::ObjectReference> keep_;
  std::vector<Napi::ObjectReference> out_;
};

Napi::Value resultObject(Napi::Env env, std::vector<Napi::ObjectReference>& out) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("distances", out[0].Value());
  r.Set("labels", out[1].Value());
  return r;
}

Napi::Buffer<uint8_t> toBuffer(Napi::Env env, std::vector<uint8_t>&& bytes) {
  auto* holder = new std::vector<uint8_t>(std::move(bytes));
  return Napi::Buffer<uint8_t>::NewOrCopy(
      env, holder->data(), holder->size(),
      [](Napi::Env, uint8_t*, std::vector<uint8_t>* h) { delete h; }, holder);
}

// ---- the index class --------------------------------------------------------------

class FaissIndexWrap : public Napi::ObjectWrap<FaissIndexWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "NativeFaissIndex",
        {
            InstanceMethod<&FaissIndexWrap::Add>("add"),
            InstanceMethod<&FaissIndexWrap::Remove>("remove"),
            InstanceMethod<&FaissIndexWrap::Search>("search"),
            InstanceMethod<&FaissIndexWrap::SearchExact>("searchExact"),
            InstanceMethod<&FaissIndexWrap::Train>("train"),
            InstanceMethod<&FaissIndexWrap::Serialize>("serialize"),
            InstanceMethod<&FaissIndexWrap::SerializeAsync>("serializeAsync"),
            InstanceMethod<&FaissIndexWrap::SerializeToFileAsync>("serializeToFileAsync"),
            InstanceMethod<&FaissIndexWrap::Reconstruct>("reconstruct"),
            InstanceAccessor<&FaissIndexWrap::Dimension>("dimension"),
            InstanceAccessor<&FaissIndexWrap::Ntotal>("ntotal"),
            InstanceAccessor<&FaissIndexWrap::Metric>("metric"),
            InstanceAccessor<&FaissIndexWrap::IsTrained>("isTrained"),
            InstanceAccessor<&FaissIndexWrap::TombstoneCount>("tombstoneCount"),
            InstanceAccessor<&FaissIndexWrap::RemoveStrategy>("removeStrategy"),
        });
  }

  // new NativeFaissIndex(dimension, factory, metric)
  // new NativeFaissIndex(external) -- internal, adopts a deserialized core
  explicit FaissIndexWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FaissIndexWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() == 1 && info[0].IsExternal()) {
      auto* src = info[0].As<Napi::External<std::shared_ptr<rv::IndexCore>>>().Data();
      core_ = *src;
      return;
    }
    if (info.Length() < 3) throwType(env, "expected (dimension, factory, metric)");
    const int64_t d = asInteger(env, info[0], "dimension", 1, 65536);
    if (!info[1].IsString()) throwType(env, "factory must be a string");
    if (!info[2].IsString()) throwType(env, "metric must be 'l2' or 'ip'");
    const std::string spec = info[1].As<Napi::String>().Utf8Value();
    const std::string metric = info[2].As<Napi::String>().Utf8Value();
    faiss::MetricType mt;
    if (metric == "l2") mt = faiss::METRIC_L2;
    else if (metric == "ip") mt = faiss::METRIC_INNER_PRODUCT;
    else throwRange(env, "metric must be 'l2' or 'ip', got '" + metric + "'");
    core_ = guarded(env, [&] {
      return std::shared_ptr<rv::IndexCore>(rv::IndexCore::create(static_cast<int>(d), spec, mt));
    });
  }

 private:
  std::shared_ptr<rv::IndexCore> core_;

  Job* newJob(Napi::Env env, Job::Exec exec, Job::Resolve resolve) {
    auto* job = new Job(env, std::move(exec), std::move(resolve));
    job->keep(Value());
    return job;
  }

  Napi::Value Add(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    F32View x = asFloat32(env, info[0], "vectors");
    I64View ids = asBigInt64(env, info[1], "ids");
    const size_t n = rowsOf(env, x.length, core_->dimension(), "vectors");
    if (ids.length != n) {
      throwRange(env, "ids.length (" + std::to_string(ids.length) +
                          ") must equal the number of vectors (" + std::to_string(n) + ")");
    }
    // A few vectors into a plain Flat index is a copy: done here when the index is
    // free, since the trip to a worker thread and back costs more than the add.
    if (n <= kInlineAddMax && core_->addIsCopy()) {
      auto deferred = Napi::Promise::Deferred::New(env);
      try {
        if (guarded(env, [&] { return core_->tryAddNow(n, x.data, ids.data); })) {
          deferred.Resolve(env.Undefined());
          return deferred.Promise();
        }
      } catch (const Napi::Error& e) {
        deferred.Reject(e.Value());
        return deferred.Promise();
      }
    }
    auto core = core_;
    Job* job = newJob(
        env,
        [core, x, ids, n] {
          rv::useBuildThreads(n, rv::kParallelAddMin);
          core->add(n, x.data, ids.data);
        },
        nullptr);
    job->keep(info[0]);
    job->keep(info[1]);
    return job->start();
  }

  Napi::Value Remove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    I64View ids = asBigInt64(env, info[0], "ids");
    auto core = core_;
    auto removed = std::make_shared<size_t>(0);
    Job* job = newJob(
        env, [core, ids, removed] { *removed = core->remove(ids.length, ids.data); },
        [removed](Napi::Env e, std::vector<Napi::ObjectReference>&) -> Napi::Value {
          return Napi::Number::New(e, static_cast<double>(*removed));
        });
    job->keep(info[0]);
    return job->start();
  }

  size_t checkK(Napi::Env env, const Napi::Value& v, size_t n) {
    const size_t k = static_cast<size_t>(asInteger(env, v, "k", 1, static_cast<int64_t>(kMaxK)));
    if (n * k > kMaxResultEntries) {
      throwRange(env, "n * k (" + std::to_string(n) + " * " + std::to_string(k) +
                          ") exceeds the per-call limit of " + std::to_string(kMaxResultEntries) +
                          " results: split the query batch");
    }
    return k;
  }

  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    F32View q = asFloat32(env, info[0], "queries");
    const size_t n = rowsOf(env, q.length, core_->dimension(), "queries");
    const size_t k = checkK(env, info[1], n);
    rv::SearchOptions opts;
    Napi::Value allowValue = env.Undefined();
    if (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsNull()) {
      if (!info[2].IsObject()) throwType(env, "options must be an object");
      Napi::Object o = info[2].As<Napi::Object>();
      Napi::Value ef = o.Get("efSearch");
      if (!ef.IsUndefined()) opts.efSearch = asInteger(env, ef, "options.efSearch", 1, kMaxSearchKnob);
      Napi::Value own = o.Get("faissOwnSearch");
      if (!own.IsUndefined()) {
        if (!own.IsBoolean()) throwType(env, "options.faissOwnSearch must be a boolean");
        opts.faissOwnSearch = own.As<Napi::Boolean>().Value();
      }
      Napi::Value np = o.Get("nprobe");
      if (!np.IsUndefined()) opts.nprobe = asInteger(env, np, "options.nprobe", 1, kMaxSearchKnob);
      allowValue = o.Get("allowIds");
      if (!allowValue.IsUndefined()) {
        I64View allow = asBigInt64(env, allowValue, "options.allowIds");
        opts.hasAllow = true;
        opts.allow = allow.data;
        opts.nAllow = allow.length;
      }
    }
    auto distances = Napi::Float32Array::New(env, n * k);
    auto labels = Napi::TypedArrayOf<int64_t>::New(env, n * k);
    float* D = distances.Data();
    int64_t* L = labels.Data();
    auto core = core_;
    Job* job = newJob(
        env,
        [core, q, n, k, opts, D, L] {
          rv::useSearchThreads();
          core->search(n, q.data, k, opts, D, L);
        },
        resultObject);
    job->keep(info[0]);
    job->keep(allowValue);
    job->output(distances);
    job->output(labels);
    return job->start();
  }

  Napi::Value SearchExact(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    F32View q = asFloat32(env, info[0], "queries");
    const size_t n = rowsOf(env, q.length, core_->dimension(), "queries");
    const size_t k = checkK(env, info[1], n);
    I64View ids = asBigInt64(env, info[2], "ids");
    auto distances = Napi::Float32Array::New(env, n * k);
    auto labels = Napi::TypedArrayOf<int64_t>::New(env, n * k);
    float* D = distances.Data();
    int64_t* L = labels.Data();
    auto core = core_;
    Job* job = newJob(
        env,
        [core, q, n, k, ids, D, L] {
          rv::useSearchThreads();
          core->searchExact(n, q.data, k, ids.data, ids.length, D, L);
        },
        resultObject);
    job->keep(info[0]);
    job->keep(info[2]);
    job->output(distances);
    job->output(labels);
    return job->start();
  }

  Napi::Value Train(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    F32View x = asFloat32(env, info[0], "vectors");
    const size_t n = rowsOf(env, x.length, core_->dimension(), "vectors");
    auto core = core_;
    Job* job = newJob(
        env,
        [core, x, n] {
          rv::useBuildThreads(n, rv::kParallelTrainMin);
          core->train(n, x.data);
        },
        nullptr);
    job->keep(info[0]);
    return job->start();
  }

  Napi::Value Serialize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<uint8_t> bytes = guarded(env, [&] { return core_->serialize(); });
    return toBuffer(env, std::move(bytes));
  }

  Napi::Value SerializeAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto core = core_;
    auto bytes = std::make_shared<std::vector<uint8_t>>();
    Job* job = newJob(
        env, [core, bytes] { *bytes = core->serialize(); },
        [bytes](Napi::Env e, std::vector<Napi::ObjectReference>&) -> Napi::Value {
          return toBuffer(e, std::move(*bytes));
        });
    return job->start();
  }

  // Writes the envelope to a file off the event loop; resolves with its size.
  Napi::Value SerializeToFileAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throwType(env, "path must be a string");
    auto core = core_;
    std::string path = info[0].As<Napi::String>().Utf8Value();
    auto written = std::make_shared<uint64_t>(0);
    Job* job = newJob(
        env, [core, path, written] { *written = core->serializeToFile(path); },
        [written](Napi::Env e, std::vector<Napi::ObjectReference>&) -> Napi::Value {
          return Napi::Number::New(e, static_cast<double>(*written));
        });
    return job->start();
  }

  Napi::Value Reconstruct(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBigInt()) throwType(env, "id must be a bigint");
    bool lossless = false;
    const int64_t id = info[0].As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) throwRange(env, "id does not fit in a signed 64-bit integer");
    auto out = Napi::Float32Array::New(env, static_cast<size_t>(core_->dimension()));
    float* dst = out.Data();
    guarded(env, [&] { core_->reconstruct(id, dst); });
    return out;
  }

  Napi::Value Dimension(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), core_->dimension());
  }
  Napi::Value Ntotal(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(core_->liveCount()));
  }
  Napi::Value Metric(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(),
                             core_->metric() == faiss::METRIC_INNER_PRODUCT ? "ip" : "l2");
  }
  Napi::Value IsTrained(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), core_->isTrained());
  }
  Napi::Value TombstoneCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(core_->tombstoneCount()));
  }
  Napi::Value RemoveStrategy(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), core_->removeStrategy() == rv::RemoveStrategy::Compact
                                             ? "compact"
                                             : "tombstone");
  }
};

// ---- module functions -------------------------------------------------------------

Napi::Object wrapCore(Napi::Env env, std::shared_ptr<rv::IndexCore> core) {
  auto* data = env.GetInstanceData<AddonData>();
  auto ext = Napi::External<std::shared_ptr<rv::IndexCore>>::New(env, &core);
  return data->indexCtor.New({ext});
}

const uint8_t* bufferBytes(Napi::Env env, const Napi::Value& v, size_t* len) {
  if (v.IsBuffer()) {
    auto b = v.As<Napi::Buffer<uint8_t>>();
    *len = b.Length();
    return b.Data();
  }
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    auto a = v.As<Napi::Uint8Array>();
    *len = a.ElementLength();
    return a.Data();
  }
  throwType(env, "buf must be a Buffer or Uint8Array");
}

Napi::Value Deserialize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t len = 0;
  const uint8_t* p = bufferBytes(env, info[0], &len);
  auto core = guarded(env, [&] { return std::shared_ptr<rv::IndexCore>(rv::IndexCore::deserialize(p, len)); });
  return wrapCore(env, std::move(core));
}

Napi::Value DeserializeAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t len = 0;
  const uint8_t* p = bufferBytes(env, info[0], &len);
  auto result = std::make_shared<std::shared_ptr<rv::IndexCore>>();
  auto* job = new Job(
      env, [p, len, result] { *result = std::shared_ptr<rv::IndexCore>(rv::IndexCore::deserialize(p, len)); },
      [result](Napi::Env e, std::vector<Napi::ObjectReference>&) -> Napi::Value {
        return wrapCore(e, std::move(*result));
      });
  job->keep(info[0]);
  return job->start();
}

// Reads an index from a file written by serializeToFileAsync, off the event loop.
Napi::Value DeserializeFileAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throwType(env, "path must be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  auto result = std::make_shared<std::shared_ptr<rv::IndexCore>>();
  auto* job = new Job(
      env, [path, result] { *result = std::shared_ptr<rv::IndexCore>(rv::IndexCore::deserializeFile(path)); },
      [result](Napi::Env e, std::vector<Napi::ObjectReference>&) -> Napi::Value {
        return wrapCore(e, std::move(*result));
      });
  return job->start();
}

// Hands memory that malloc holds free back to the OS. glibc only returns the top
// of a heap on free; after a load or a snapshot install has freed hundreds of
// thousands of small buffers, most of that memory sits in the middle of its arenas
// and stays in RSS. malloc_trim(0) releases those free pages too (madvise).
// True when the call ran; false where the C library has no such call.
Napi::Value ReleaseFreeMemory(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  malloc_trim(0);
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Value GetThreadConfig(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rv::ThreadConfig c = rv::getThreadConfig();
  Napi::Object o = Napi::Object::New(env);
  o.Set("searchThreads", c.searchThreads);
  o.Set("buildThreads", c.buildThreads);
  o.Set("blasThreads", c.blasThreads);
  return o;
}

Napi::Value SetThreadConfig(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throwType(env, "config must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  rv::ThreadConfig c{0, 0, 0};
  auto read = [&](const char* key, int* dst) {
    Napi::Value v = o.Get(key);
    if (!v.IsUndefined()) *dst = static_cast<int>(asInteger(env, v, key, 1, 1024));
  };
  read("searchThreads", &c.searchThreads);
  read("buildThreads", &c.buildThreads);
  read("blasThreads", &c.blasThreads);
  rv::setThreadConfig(c);
  return GetThreadConfig(info);
}

// Everything the binding refuses that validation (src/validation.ts) must
// refuse first. Plain numbers: all are exact in a double (kMaxAbsValue is the
// float 1e15f, i.e. 999999986991104).
Napi::Object Limits(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("maxAbsValue", Napi::Number::New(env, static_cast<double>(rv::kMaxAbsValue)));
  o.Set("maxDimension", Napi::Number::New(env, rv::kMaxDimension));
  o.Set("maxK", Napi::Number::New(env, static_cast<double>(kMaxK)));
  o.Set("maxResultEntries", Napi::Number::New(env, static_cast<double>(kMaxResultEntries)));
  o.Set("maxSearchKnob", Napi::Number::New(env, static_cast<double>(kMaxSearchKnob)));
  o.Freeze();
  return o;
}

Napi::Object FaissBuild(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("variant", RAFTVEC_FAISS_AVX2 ? "avx2" : "generic");
  o.Set("source", RAFTVEC_FAISS_SOURCE);
  o.Freeze();
  return o;
}

int envInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  if (end == v || *end != '\0' || x < 1 || x > 1024) return fallback;
  return static_cast<int>(x);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Defaults (see src/index/faiss.ts): one OpenMP thread per search and one
  // BLAS thread -- concurrency comes from the libuv pool; OpenMP teams inside
  // a search were measured to be much slower on a busy 2-core host. Large
  // add/train batches use all cores (see useBuildThreads).
  rv::initFaissDefaults();
  rv::setThreadConfig(rv::ThreadConfig{envInt("RAFTVEC_FAISS_SEARCH_THREADS", 1),
                                       envInt("RAFTVEC_FAISS_BUILD_THREADS", 0),
                                       envInt("RAFTVEC_FAISS_BLAS_THREADS", 1)});
  auto* data = new AddonData();
  Napi::Function ctor = FaissIndexWrap::Define(env);
  data->indexCtor = Napi::Persistent(ctor);
  env.SetInstanceData<AddonData>(data);

  exports.Set("NativeFaissIndex", ctor);
  exports.Set("deserialize", Napi::Function::New<Deserialize>(env, "deserialize"));
  exports.Set("deserializeAsync", Napi::Function::New<DeserializeAsync>(env, "deserializeAsync"));
  exports.Set("deserializeFileAsync",
              Napi::Function::New<DeserializeFileAsync>(env, "deserializeFileAsync"));
  exports.Set("getThreadConfig", Napi::Function::New<GetThreadConfig>(env, "getThreadConfig"));
  exports.Set("setThreadConfig", Napi::Function::New<SetThreadConfig>(env, "setThreadConfig"));
  exports.Set("releaseFreeMemory",
              Napi::Function::New<ReleaseFreeMemory>(env, "releaseFreeMemory"));
  exports.Set("limits", Limits(env));
  exports.Set("faissBuild", FaissBuild(env));
  exports.Set("faissVersion",
              Napi::String::New(env, std::to_string(FAISS_VERSION_MAJOR) + "." +
                                         std::to_string(FAISS_VERSION_MINOR) + "." +
                                         std::to_string(FAISS_VERSION_PATCH)));
  return exports;
}

}  // namespace

NODE_API_MODULE(raftvec_faiss, Init)
