{
  # Built by native/build.mjs (run from the root package's "install" script),
  # which picks the FAISS variant and passes it in RAFTVEC_* environment
  # variables; the defaults are Debian's libfaiss-dev 1.7.3 (generic static
  # archive). BLAS/LAPACK come from OpenBLAS, OpenMP from libgomp.
  # `build.mjs --out DIR` builds from DIR/gyp/binding.gyp, which only includes
  # this file: keep paths here relative to native/ or absolute.
  "variables": {
    "faiss_include%": "<!(node -p \"process.env.RAFTVEC_FAISS_INCLUDE || '/usr/include'\")",
    "faiss_lib%": "<!(node -p \"process.env.RAFTVEC_FAISS_LIB || '/usr/lib/x86_64-linux-gnu/libfaiss.a'\")",
    "blas_libdir%": "<!(node -p \"process.env.RAFTVEC_BLAS_LIBDIR || '/usr/lib/x86_64-linux-gnu'\")",
    "napi_include%": "<!(node -p \"process.env.RAFTVEC_NAPI_INCLUDE || require('node-addon-api').include_dir\")",
    "faiss_avx2%": "<!(node -p \"process.env.RAFTVEC_FAISS_VARIANT === 'avx2' ? 1 : 0\")",
    "faiss_source%": "<!(node -p \"process.env.RAFTVEC_FAISS_SOURCE || 'libfaiss-dev'\")"
  },
  "targets": [
    {
      "target_name": "raftvec_faiss",
      "sources": ["src/addon.cc", "src/index_core.cc", "src/hnsw_search.cc"],
      "include_dirs": [
        "<(napi_include)",
        "<(faiss_include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "RAFTVEC_FAISS_AVX2=<(faiss_avx2)",
        "RAFTVEC_FAISS_SOURCE=\"<(faiss_source)\""
      ],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-O2", "-O0"],
      "cflags": ["-O3", "-fopenmp", "-fvisibility=hidden"],
      # RAFTVEC_FAISS_CXXFLAGS: -mavx2 -mfma -mf16c -mpopcnt for the avx2
      # variant, as FAISS's CMake compiles faiss_avx2 (its headers inline SIMD).
      "cflags_cc": [
        "-O3", "-std=c++17", "-fexceptions", "-frtti", "-fopenmp", "-fvisibility=hidden",
        "<!@(node -p \"process.env.RAFTVEC_FAISS_CXXFLAGS || ''\")"
      ],
      # RAFTVEC_FAISS_LDFLAGS: -Wl,-z,x86-64-v3 for the avx2 variant, so that
      # glibc refuses to load it on an older CPU instead of a SIGILL.
      "ldflags": [
        "-fopenmp",
        "-Wl,--exclude-libs,ALL",
        "-Wl,--as-needed",
        "-L<(blas_libdir)",
        "<!@(node -p \"process.env.RAFTVEC_FAISS_LDFLAGS || ''\")"
      ],
      "libraries": [
        "<(faiss_lib)",
        "-lopenblas",
        "-lgomp",
        "-lm"
      ]
    }
  ]
}
