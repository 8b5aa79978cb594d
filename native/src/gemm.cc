// GEMM for float32 and float64 in three instruction sets, chosen at run time:
// AVX-512 (F, BW, DQ, VL), AVX2 + FMA, and portable C++. The driver
// (gemm_driver.inc) is compiled once per instruction set, inside a
// `#pragma GCC target` region, so the file as a whole stays baseline x86-64.
// The SIMD paths need GCC's per-function targets on x86-64; elsewhere (ARM,
// clang) only the portable path is built.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LATENT_X86_SIMD 1
#include <immintrin.h>
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#else
#define LATENT_X86_SIMD 0
#endif

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels.h"

namespace latent {

template <class T>
struct GemmArgs {
  bool transA, transB;
  int64_t m, n, k;
  const T* a;
  const T* b;
  T* c;
  bool accumulate;
};

/** Generic packing of an A micro-panel from mr rows of A: dst[p * MR + i] = src[i * ld + p], zero for i >= mr. */
template <class K>
static inline void gatherRowsGeneric(const typename K::T* src, int64_t ld, int64_t mr, int64_t kc,
                                     typename K::T* __restrict dst) {
  constexpr int MR = K::MR;
  if (mr == MR) {
    for (int64_t p = 0; p < kc; p++) {
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) dst[p * MR + i] = src[i * ld + p];
    }
    return;
  }
  for (int64_t p = 0; p < kc; p++) {
    int64_t i = 0;
    for (; i < mr; i++) dst[p * MR + i] = src[i * ld + p];
    for (; i < MR; i++) dst[p * MR + i] = 0;
  }
}

/** Generic transpose into a B micro-panel: dst[p * NR + j] = src[j * ld + p], zero for j >= nr. */
template <class K>
static inline void transposePanelGeneric(const typename K::T* src, int64_t ld, int64_t kc, int64_t nr,
                                         typename K::T* __restrict dst) {
  constexpr int NR = K::NR;
  for (int64_t j = 0; j < nr; j++) {
    const typename K::T* row = src + j * ld;
    for (int64_t p = 0; p < kc; p++) dst[p * NR + j] = row[p];
  }
  if (nr < NR) {
    for (int64_t p = 0; p < kc; p++) {
      for (int64_t j = nr; j < NR; j++) dst[p * NR + j] = 0;
    }
  }
}

// ---------------------------------------------------------------------------
// Portable: plain C++, 4 x 4 tiles of scalars (the compiler may still use SSE2).

namespace portable {

template <class TT, int MR_, int NV_, int KC_, int MC_, int NC_>
struct Scalar {
  using T = TT;
  using V = TT;
  using Mask = int;
  static constexpr int L = 1, MR = MR_, NV = NV_, NR = NV_, KC = KC_, MC = MC_, NC = NC_;
  static inline V zero() { return 0; }
  static inline V load(const T* p) { return *p; }
  static inline V loadu(const T* p) { return *p; }
  static inline V loadm(const T* p, Mask) { return *p; }
  static inline void storeu(T* p, V v) { *p = v; }
  static inline void storem(T* p, Mask, V v) { *p = v; }
  static inline V bcast(const T* p) { return *p; }
  // A multiply and an add (no hardware FMA is assumed on this path).
  static inline V fma(V a, V b, V c) { return c + a * b; }
  static inline Mask tailMask(int) { return 0; }
};
using KF = Scalar<float, 4, 4, 256, 64, 2048>;
using KD = Scalar<double, 4, 4, 256, 64, 2048>;

template <class K>
static inline void transposePanel(const typename K::T* src, int64_t ld, int64_t kc, int64_t nr, typename K::T* dst) {
  transposePanelGeneric<K>(src, ld, kc, nr, dst);
}
template <class K>
static inline void gatherRows(const typename K::T* src, int64_t ld, int64_t mr, int64_t kc, typename K::T* dst) {
  gatherRowsGeneric<K>(src, ld, mr, kc, dst);
}

#include "gemm_driver.inc"

template bool gemmRegion<KF>(const GemmArgs<float>&, int64_t, int64_t, int64_t, int64_t);
template bool gemmRegion<KD>(const GemmArgs<double>&, int64_t, int64_t, int64_t, int64_t);

}  // namespace portable

#if LATENT_X86_SIMD
// ---------------------------------------------------------------------------
// AVX2 + FMA: 16 ymm registers; 6 x 2 vectors of accumulators (the classic
// 6x16 float / 6x8 double tile), 2 for B, 1 broadcast.

#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {

struct KF {
  using T = float;
  using V = __m256;
  using Mask = __m256i;
  static constexpr int L = 8, MR = 6, NV = 2, NR = 16, KC = 256, MC = 144, NC = 2048;
  static inline V zero() { return _mm256_setzero_ps(); }
  static inline V load(const T* p) { return _mm256_load_ps(p); }
  static inline V loadu(const T* p) { return _mm256_loadu_ps(p); }
  static inline V loadm(const T* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static inline void storeu(T* p, V v) { _mm256_storeu_ps(p, v); }
  static inline void storem(T* p, Mask m, V v) { _mm256_maskstore_ps(p, m, v); }
  static inline V bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static inline Mask tailMask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
};

struct KD {
  using T = double;
  using V = __m256d;
  using Mask = __m256i;
  static constexpr int L = 4, MR = 6, NV = 2, NR = 8, KC = 256, MC = 96, NC = 2048;
  static inline V zero() { return _mm256_setzero_pd(); }
  static inline V load(const T* p) { return _mm256_load_pd(p); }
  static inline V loadu(const T* p) { return _mm256_loadu_pd(p); }
  static inline V loadm(const T* p, Mask m) { return _mm256_maskload_pd(p, m); }
  static inline void storeu(T* p, V v) { _mm256_storeu_pd(p, v); }
  static inline void storem(T* p, Mask m, V v) { _mm256_maskstore_pd(p, m, v); }
  static inline V bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static inline V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static inline Mask tailMask(int n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
};

template <class K>
static inline void transposePanel(const typename K::T* src, int64_t ld, int64_t kc, int64_t nr, typename K::T* dst) {
  transposePanelGeneric<K>(src, ld, kc, nr, dst);
}
template <class K>
static inline void gatherRows(const typename K::T* src, int64_t ld, int64_t mr, int64_t kc, typename K::T* dst) {
  gatherRowsGeneric<K>(src, ld, mr, kc, dst);
}

#include "gemm_driver.inc"

template bool gemmRegion<KF>(const GemmArgs<float>&, int64_t, int64_t, int64_t, int64_t);
template bool gemmRegion<KD>(const GemmArgs<double>&, int64_t, int64_t, int64_t, int64_t);

}  // namespace avx2
#pragma GCC pop_options

// ---------------------------------------------------------------------------
// AVX-512: 32 zmm registers; 14 x 2 vectors of accumulators (14x32 float,
// 14x16 double), 2 for B, 1 broadcast. Tail columns use mask registers.

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
namespace avx512 {

struct KF {
  using T = float;
  using V = __m512;
  using Mask = __mmask16;
  static constexpr int L = 16, MR = 14, NV = 2, NR = 32, KC = 256, MC = 168, NC = 2048;
  static inline V zero() { return _mm512_setzero_ps(); }
  static inline V load(const T* p) { return _mm512_load_ps(p); }
  static inline V loadu(const T* p) { return _mm512_loadu_ps(p); }
  static inline V loadm(const T* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static inline void storeu(T* p, V v) { _mm512_storeu_ps(p, v); }
  static inline void storem(T* p, Mask m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static inline V bcast(const T* p) { return _mm512_set1_ps(*p); }
  static inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static inline Mask tailMask(int n) { return static_cast<Mask>((1u << n) - 1u); }
};

struct KD {
  using T = double;
  using V = __m512d;
  using Mask = __mmask8;
  static constexpr int L = 8, MR = 14, NV = 2, NR = 16, KC = 192, MC = 112, NC = 2048;
  static inline V zero() { return _mm512_setzero_pd(); }
  static inline V load(const T* p) { return _mm512_load_pd(p); }
  static inline V loadu(const T* p) { return _mm512_loadu_pd(p); }
  static inline V loadm(const T* p, Mask m) { return _mm512_maskz_loadu_pd(m, p); }
  static inline void storeu(T* p, V v) { _mm512_storeu_pd(p, v); }
  static inline void storem(T* p, Mask m, V v) { _mm512_mask_storeu_pd(p, m, v); }
  static inline V bcast(const T* p) { return _mm512_set1_pd(*p); }
  static inline V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static inline Mask tailMask(int n) { return static_cast<Mask>((1u << n) - 1u); }
};

// In-register transposes for packing: a 16 x 16 float block (unpack, then
// 128-bit lane shuffles) and an 8 x 8 double block. Rows past `rows` read as
// zero, columns past `cols` are not read; output row q (q < cols) goes to
// dst + q * dstStride through `storeMask`.
static inline void transposeBlock(const float* src, int64_t ld, int rows, int cols, float* dst, int64_t dstStride,
                                  __mmask16 storeMask) {
  const __mmask16 colMask = static_cast<__mmask16>((1u << cols) - 1u);
  __m512 r[16], t[16], u[16];
  for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(colMask, src + i * ld) : _mm512_setzero_ps();
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4g + c], 128-bit lane L: rows 4g..4g+3 of column 4L + c.
  for (int g = 0; g < 4; g++) {
    u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int c = 0; c < 4; c++) {
    const __m512 x0 = _mm512_shuffle_f32x4(u[c], u[4 + c], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 x1 = _mm512_shuffle_f32x4(u[c], u[4 + c], _MM_SHUFFLE(3, 1, 3, 1));
    const __m512 y0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 y1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(3, 1, 3, 1));
    const __m512 out[4] = {_mm512_shuffle_f32x4(x0, y0, _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm512_shuffle_f32x4(x1, y1, _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm512_shuffle_f32x4(x0, y0, _MM_SHUFFLE(3, 1, 3, 1)),
                           _mm512_shuffle_f32x4(x1, y1, _MM_SHUFFLE(3, 1, 3, 1))};
    for (int l = 0; l < 4; l++) {
      const int q = 4 * l + c;
      if (q < cols) _mm512_mask_storeu_ps(dst + q * dstStride, storeMask, out[l]);
    }
  }
}

static inline void transposeBlock(const double* src, int64_t ld, int rows, int cols, double* dst, int64_t dstStride,
                                  __mmask8 storeMask) {
  const __mmask8 colMask = static_cast<__mmask8>((1u << cols) - 1u);
  __m512d r[8], t[8];
  for (int i = 0; i < 8; i++) r[i] = i < rows ? _mm512_maskz_loadu_pd(colMask, src + i * ld) : _mm512_setzero_pd();
  // t[2g + c], 128-bit lane L: rows 2g, 2g+1 of column 2L + c.
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
  }
  for (int c = 0; c < 2; c++) {
    const __m512d x0 = _mm512_shuffle_f64x2(t[c], t[2 + c], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512d x1 = _mm512_shuffle_f64x2(t[c], t[2 + c], _MM_SHUFFLE(3, 1, 3, 1));
    const __m512d y0 = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512d y1 = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], _MM_SHUFFLE(3, 1, 3, 1));
    const __m512d out[4] = {_mm512_shuffle_f64x2(x0, y0, _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_f64x2(x1, y1, _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_f64x2(x0, y0, _MM_SHUFFLE(3, 1, 3, 1)),
                            _mm512_shuffle_f64x2(x1, y1, _MM_SHUFFLE(3, 1, 3, 1))};
    for (int l = 0; l < 4; l++) {
      const int q = 2 * l + c;
      if (q < cols) _mm512_mask_storeu_pd(dst + q * dstStride, storeMask, out[l]);
    }
  }
}

/** B micro-panel from nr rows of B stored n x k: dst[p * NR + j] = src[j * ld + p], zero for j >= nr. */
template <class K>
static inline void transposePanel(const typename K::T* src, int64_t ld, int64_t kc, int64_t nr, typename K::T* dst) {
  constexpr int L = K::L;
  for (int jb = 0; jb < K::NR; jb += L) {
    const int rows = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(L, nr - jb)));
    for (int64_t p = 0; p < kc; p += L) {
      const int cols = static_cast<int>(std::min<int64_t>(L, kc - p));
      transposeBlock(src + jb * ld + p, ld, rows, cols, dst + p * K::NR + jb, K::NR, K::tailMask(L));
    }
  }
}

/** A micro-panel from mr rows of A stored m x k: dst[p * MR + i] = src[i * ld + p], zero for i >= mr. */
template <class K>
static inline void gatherRows(const typename K::T* src, int64_t ld, int64_t mr, int64_t kc, typename K::T* dst) {
  constexpr int L = K::L;
  for (int ib = 0; ib < K::MR; ib += L) {
    const int rows = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(L, mr - ib)));
    const auto store = K::tailMask(std::min(L, K::MR - ib));
    for (int64_t p = 0; p < kc; p += L) {
      const int cols = static_cast<int>(std::min<int64_t>(L, kc - p));
      transposeBlock(src + ib * ld + p, ld, rows, cols, dst + p * K::MR + ib, K::MR, store);
    }
  }
}

#include "gemm_driver.inc"

template bool gemmRegion<KF>(const GemmArgs<float>&, int64_t, int64_t, int64_t, int64_t);
template bool gemmRegion<KD>(const GemmArgs<double>&, int64_t, int64_t, int64_t, int64_t);

}  // namespace avx512
#pragma GCC pop_options
#endif  // LATENT_X86_SIMD

// ---------------------------------------------------------------------------
// Dispatch.

Isa detectedIsa() {
  static const Isa isa = [] {
#if !LATENT_X86_SIMD
    return Isa::scalar;
#else
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
      return Isa::avx512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
    return Isa::scalar;
#endif
  }();
  return isa;
}

static Isa initialIsa() {
  Isa isa = detectedIsa();
  const char* env = std::getenv("LATENT_ISA");
  if (env) {
    if (std::strcmp(env, "scalar") == 0) isa = Isa::scalar;
    else if (std::strcmp(env, "avx2") == 0 && isa == Isa::avx512) isa = Isa::avx2;
  }
  return isa;
}

static Isa gActiveIsa = initialIsa();

Isa activeIsa() { return gActiveIsa; }

Isa setIsa(Isa isa) {
  gActiveIsa = static_cast<int>(isa) <= static_cast<int>(detectedIsa()) ? isa : detectedIsa();
  return gActiveIsa;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "scalar";
  }
}

template <class T>
static bool region(Isa isa, const GemmArgs<T>& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

template <>
bool region<float>(Isa isa, const GemmArgs<float>& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  switch (isa) {
#if LATENT_X86_SIMD
    case Isa::avx512: return avx512::gemmRegion<avx512::KF>(g, m0, m1, n0, n1);
    case Isa::avx2: return avx2::gemmRegion<avx2::KF>(g, m0, m1, n0, n1);
#endif
    default: return portable::gemmRegion<portable::KF>(g, m0, m1, n0, n1);
  }
}

template <>
bool region<double>(Isa isa, const GemmArgs<double>& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  switch (isa) {
#if LATENT_X86_SIMD
    case Isa::avx512: return avx512::gemmRegion<avx512::KD>(g, m0, m1, n0, n1);
    case Isa::avx2: return avx2::gemmRegion<avx2::KD>(g, m0, m1, n0, n1);
#endif
    default: return portable::gemmRegion<portable::KD>(g, m0, m1, n0, n1);
  }
}

/** The plain triple loop over rows [m0, m1) and columns [n0, n1), for when a packing buffer cannot be allocated. */
template <class T>
static void gemmUnpacked(const GemmArgs<T>& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  for (int64_t i = m0; i < m1; i++) {
    for (int64_t j = n0; j < n1; j++) {
      T s = g.accumulate ? g.c[i * g.n + j] : T(0);
      for (int64_t p = 0; p < g.k; p++) {
        const T x = g.transA ? g.a[p * g.m + i] : g.a[i * g.k + p];
        const T y = g.transB ? g.b[j * g.k + p] : g.b[p * g.n + j];
        s += x * y;
      }
      g.c[i * g.n + j] = s;
    }
  }
}

/** Splits C into column (or, when C is narrow, row) stripes, one per task. */
template <class T>
struct Split {
  const GemmArgs<T>* g;
  Isa isa;
  bool byRows;
  int64_t step;
};

template <class T>
static void runStripe(void* ctx, int i) {
  Split<T>& s = *static_cast<Split<T>*>(ctx);
  const GemmArgs<T>& g = *s.g;
  if (s.byRows) {
    const int64_t m0 = i * s.step, m1 = std::min(g.m, m0 + s.step);
    if (m0 < m1 && !region<T>(s.isa, g, m0, m1, 0, g.n)) gemmUnpacked(g, m0, m1, 0, g.n);
  } else {
    const int64_t n0 = i * s.step, n1 = std::min(g.n, n0 + s.step);
    if (n0 < n1 && !region<T>(s.isa, g, 0, g.m, n0, n1)) gemmUnpacked(g, 0, g.m, n0, n1);
  }
}

template <class T>
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const T* a, const T* b, T* c, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) std::memset(c, 0, sizeof(T) * static_cast<size_t>(m * n));
    return;
  }
  const GemmArgs<T> g{transA, transB, m, n, k, a, b, c, accumulate};
  const Isa isa = gActiveIsa;
  int threads = threadCount();
  // Threads pay off only on GEMMs big enough to amortize the hand-off.
  if (threads > 1 && static_cast<double>(m) * n * k < 2.0e6) threads = 1;
  if (threads > 64) threads = 64;
  if (threads == 1) {
    if (!region<T>(isa, g, 0, m, 0, n)) gemmUnpacked(g, 0, m, 0, n);
    return;
  }
  // Nearly equal stripes of whole 16-column (or 8-row) units. Any boundary
  // gives the same bits: each element is one FMA chain whatever its tile.
  Split<T> s{&g, isa, false, 0};
  const int64_t colUnits = (n + 15) / 16, rowUnits = (m + 7) / 8;
  s.byRows = colUnits < threads && rowUnits > colUnits;
  const int64_t units = s.byRows ? rowUnits : colUnits;
  const int tasks = static_cast<int>(std::min<int64_t>(threads, units));
  s.step = ((units + tasks - 1) / tasks) * (s.byRows ? 8 : 16);
  parallelFor(tasks, &runStripe<T>, &s);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, const float*, const float*, float*, bool);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, const double*, const double*, double*, bool);

}  // namespace latent
