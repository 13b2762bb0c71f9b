{
  # Built by native/build.mjs (run from the root package's "install" script).
  # FAISS comes from Debian's libfaiss-dev 1.7.3 (static archive), BLAS/LAPACK
  # from OpenBLAS, OpenMP from libgomp. build.mjs passes the resolved paths in
  # the RAFTVEC_FAISS_* environment variables; the defaults are Debian's.
  "variables": {
    "faiss_include%": "<!(node -p \"process.env.RAFTVEC_FAISS_INCLUDE || '/usr/include'\")",
    "faiss_lib%": "<!(node -p \"process.env.RAFTVEC_FAISS_LIB || '/usr/lib/x86_64-linux-gnu/libfaiss.a'\")",
    "blas_libdir%": "<!(node -p \"process.env.RAFTVEC_BLAS_LIBDIR || '/usr/lib/x86_64-linux-gnu'\")"
  },
  "targets": [
    {
      "target_name": "raftvec_faiss",
      "sources": ["src/addon.cc", "src/index_core.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(faiss_include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-O2", "-O0"],
      "cflags": ["-O3", "-fopenmp", "-fvisibility=hidden"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-frtti", "-fopenmp", "-fvisibility=hidden"],
      "ldflags": [
        "-fopenmp",
        "-Wl,--exclude-libs,ALL",
        "-Wl,--as-needed",
        "-L<(blas_libdir)"
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
