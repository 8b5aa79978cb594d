// Philox4x32-10 in bulk, with the semantics of src/kernels/cpu/random.ts
// (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2,
// 3", SC 2011; Random123's philox4x32): the random generator's stream of
// words, computed block by block. Integer arithmetic only, so every build
// and instruction set gives the same words; the loop over blocks is
// independent per block and vectorizes (the entry point is cloned for
// AVX-512, AVX2 and baseline x86-64).
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels.h"

namespace latent {

namespace {

constexpr uint32_t kM0 = 0xd2511f53u, kM1 = 0xcd9e8d57u, kW0 = 0x9e3779b9u, kW1 = 0xbb67ae85u;

LATENT_CLONES void philoxBlocks(uint32_t key0, uint32_t key1, uint64_t firstBlock, uint32_t* out, uint64_t blocks) {
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

// Box–Muller with the operation sequence of src/kernels/cpu/normal.ts: the
// same IEEE double operations (no library calls; -ffp-contract=off keeps
// multiplies and adds separate), so both backends give the same float32
// bits. Vectorized or not, each lane performs exactly these operations.
constexpr double kLn2 = 0.6931471805599453, kSqrt2 = 1.4142135623730951, kPi4 = 0.7853981633974483;
constexpr double A3 = 1.0 / 3, A5 = 1.0 / 5, A7 = 1.0 / 7, A9 = 1.0 / 9, A11 = 1.0 / 11, A13 = 1.0 / 13, A15 = 1.0 / 15,
                 A17 = 1.0 / 17, A19 = 1.0 / 19;
constexpr double S3 = -1.0 / 6, S5 = 1.0 / 120, S7 = -1.0 / 5040, S9 = 1.0 / 362880, S11 = -1.0 / 39916800,
                 S13 = 1.0 / 6227020800.0, S15 = -1.0 / 1307674368000.0, S17 = 1.0 / 355687428096000.0;
constexpr double C2 = -1.0 / 2, C4 = 1.0 / 24, C6 = -1.0 / 720, C8 = 1.0 / 40320, C10 = -1.0 / 3628800,
                 C12 = 1.0 / 479001600, C14 = -1.0 / 87178291200.0, C16 = 1.0 / 20922789888000.0;

inline double sinPoly(double x) {
  const double x2 = x * x;
  return x + x * x2 * (S3 + x2 * (S5 + x2 * (S7 + x2 * (S9 + x2 * (S11 + x2 * (S13 + x2 * (S15 + x2 * S17)))))));
}

inline double cosPoly(double x) {
  const double x2 = x * x;
  return 1 + x2 * (C2 + x2 * (C4 + x2 * (C6 + x2 * (C8 + x2 * (C10 + x2 * (C12 + x2 * (C14 + x2 * C16)))))));
}

// One pair, written without branches so the loop vectorizes: both
// polynomials are evaluated and selected, which yields the values the
// TypeScript kernel computes on its branches. k = m 2^e is split through the
// double's exponent field (k is an exact integer in [1, 2^53]), which gives
// the same m as k * 2^-e.
inline void boxMullerPair(const uint32_t* w, double& zc, double& zs) {
  const double a = static_cast<double>(w[0] >> 5) * 67108864.0 + static_cast<double>(w[1] >> 6);
  const double k = 9007199254740992.0 - a;
  uint64_t bits;
  std::memcpy(&bits, &k, 8);
  const int64_t e0 = static_cast<int64_t>(bits >> 52) - 1023;
  const uint64_t mbits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
  double m0;
  std::memcpy(&m0, &mbits, 8);
  const bool big = m0 > kSqrt2;
  const double m = big ? m0 * 0.5 : m0;
  const int64_t e = big ? e0 + 1 : e0;
  const double s = (m - 1) / (m + 1);
  const double s2 = s * s;
  const double p = 1 + s2 * (A3 + s2 * (A5 + s2 * (A7 + s2 * (A9 + s2 * (A11 + s2 * (A13 + s2 * (A15 + s2 * (A17 + s2 * A19))))))));
  const double lg = static_cast<double>(e - 53) * kLn2 + 2 * s * p;
  const double r = std::sqrt(-2 * lg);
  const uint32_t hiBits = w[2] >> 5;
  const uint32_t q = hiBits >> 24;
  const double f = (static_cast<double>(hiBits & 0xffffffu) * 67108864.0 + static_cast<double>(w[3] >> 6)) * 8.881784197001252e-16;
  const bool odd = (q & 1) != 0;
  const double phi = odd ? (1 - f) * kPi4 : f * kPi4;
  const double sp = sinPoly(phi), cp = cosPoly(phi);
  const double c = odd ? sp : cp, sn = odd ? cp : sp;
  const uint32_t turn = q >> 1;
  // Quarter turns: (c, s) -> (-s, c) -> (-c, -s) -> (s, -c).
  const double x = (turn & 1) ? sn : c, y = (turn & 1) ? c : sn;
  const bool flipX = turn == 1 || turn == 2, flipY = turn >= 2;
  zc = r * (flipX ? -x : x);
  zs = r * (flipY ? -y : y);
}

LATENT_CLONES void boxMullerPairs(const uint32_t* words, float* out, uint64_t n) {
  const uint64_t pairs = n / 2;
  for (uint64_t i = 0; i < pairs; i++) {
    double zc, zs;
    boxMullerPair(words + 4 * i, zc, zs);
    out[2 * i] = static_cast<float>(zc);
    out[2 * i + 1] = static_cast<float>(zs);
  }
  if (n & 1) {
    double zc, zs;
    boxMullerPair(words + 4 * pairs, zc, zs);
    out[n - 1] = static_cast<float>(zc);
  }
}

}  // namespace

void boxMuller32(const uint32_t* words, float* out, uint64_t n) {
  boxMullerPairs(words, out, n);
}

void philox(uint32_t key0, uint32_t key1, uint64_t firstBlock, uint32_t* out, uint64_t blocks) {
  philoxBlocks(key0, key1, firstBlock, out, blocks);
}

}  // namespace latent
