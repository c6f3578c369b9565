{
  "target_defaults": {
    "cflags!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
    "cflags": ["-O3", "-fPIC", "-fno-math-errno", "-fno-trapping-math"],
    "cflags_cc": ["-O3", "-std=gnu++17", "-fPIC", "-fexceptions", "-frtti", "-fno-math-errno", "-fno-trapping-math"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"]
  },
  "targets": [
    {
      "target_name": "fhec_kernels_avx2",
      "type": "static_library",
      "sources": ["src/kernels_avx2.cpp"],
      "cflags_cc": ["-mavx2", "-mfma"]
    },
    {
      "target_name": "fhec_kernels_avx512",
      "type": "static_library",
      "sources": ["src/kernels_avx512.cpp"],
      # -mtune only changes g++ 12's scheduling and register allocation, not the instructions
      # allowed or the arithmetic (outputs are bit-identical); with the default tuning it kept
      # only zmm0-15 in the FFT passes and spilled loaded vectors through the stack (see
      # runtime/README.md: PBS 0.87-0.91x).
      "cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma", "-mprefer-vector-width=512", "-mtune=icelake-server"]
    },
    {
      "target_name": "fhec_runtime",
      "dependencies": ["fhec_kernels_avx2", "fhec_kernels_avx512"],
      "sources": [
        "src/addon.cpp",
        "src/chacha.cpp",
        "src/params.cpp",
        "src/fft_plan.cpp",
        "src/kernels_scalar.cpp",
        "src/dispatch.cpp",
        "src/threadpool.cpp",
        "src/tfhe.cpp",
        "src/seeded_lwe.cpp",
        "src/conversion.cpp",
        "src/serialize.cpp",
        "src/linear.cpp",
        "src/multibit.cpp",
        "src/bench_kernels.cpp",
        "src/pbs_split.cpp"
      ],
      "libraries": ["-lpthread"]
    }
  ]
}
