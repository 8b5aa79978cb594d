// Philox4x32-10 in bulk, with the semantics of src/kernels/cpu/random.ts
// (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2,
// 3", SC 2011; Random123's philox4x32): the random generator's stream of
// words, computed block by block. Integer arithmetic only, so every build
// and instruction set gives the same words; the loop over blocks is
// independent per block and vectorizes (the entry point is cloned for
// AVX-512, AVX2 and baseline x86-64).
#include <cstdint>

#include "kernels.h"

#if defined(LATENT_NO_CLONES)
#define LATENT_RANDOM_CLONES
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LATENT_RANDOM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LATENT_RANDOM_CLONES
#endif

namespace latent {

namespace {

constexpr uint32_t kM0 = 0xd2511f53u, kM1 = 0xcd9e8d57u, kW0 = 0x9e3779b9u, kW1 = 0xbb67ae85u;

LATENT_RANDOM_CLONES void philoxBlocks(uint32_t key0, uint32_t key1, uint64_t firstBlock, uint32_t* out, uint64_t blocks) {
  for (uint64_t b = 0; b < blocks; b++) {
    const uint64_t index = firstBlock + b;
    uint32_t x0 = static_cast<uint32_t>(index), x1 = static_cast<uint32_t>(index >> 32), x2 = 0, x3 = 0;
    uint32_t k0 = key0, k1 = key1;
    for (int r = 0; r < 10; r++) {
      if (r > 0) {
        k0 += kW0;
        k1 += kW1;
      }
      const uint64_t p0 = static_cast<uint64_t>(kM0) * x0;
      const uint64_t p1 = static_cast<uint64_t>(kM1) * x2;
      const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
      const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
      x0 = hi1 ^ x1 ^ k0;
      x1 = lo1;
      x2 = hi0 ^ x3 ^ k1;
      x3 = lo0;
    }
    out[4 * b] = x0;
    out[4 * b + 1] = x1;
    out[4 * b + 2] = x2;
    out[4 * b + 3] = x3;
  }
}

}  // namespace

void philox(uint32_t key0, uint32_t key1, uint64_t firstBlock, uint32_t* out, uint64_t blocks) {
  philoxBlocks(key0, key1, firstBlock, out, blocks);
}

}  // namespace latent
