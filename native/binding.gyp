# The latent native kernels: one Node-API addon, built by scripts/build-native.mjs
# during `npm install`. The whole file is compiled for baseline x86-64; the
# AVX2 and AVX-512 code paths carry their own per-function target attributes
# and are chosen at run time, so the binary also runs on CPUs without them.
{
  "targets": [
    {
      "target_name": "latent_native",
      "sources": [
        "src/addon.cc",
        "src/gemm.cc",
        "src/elementwise.cc",
        "src/fused.cc",
        "src/indexing.cc",
        "src/random.cc",
        "src/spline.cc",
        "src/threads.cc"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-O3", "-fvisibility=hidden", "-ffp-contract=off", "-fno-math-errno", "-fno-semantic-interposition", "-Wno-psabi"],
      "cflags_cc": ["-O3", "-std=c++17", "-fvisibility=hidden", "-ffp-contract=off", "-fno-math-errno", "-fno-semantic-interposition", "-Wno-psabi"],
      "cflags!": ["-O2", "-O0"],
      "cflags_cc!": ["-O2", "-O0", "-std=gnu++17", "-std=c++20", "-std=gnu++20"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-ffp-contract=off"]
      }
    }
  ]
}
