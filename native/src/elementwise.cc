// Elementwise kernels, reductions and strided copies. The loops are plain
// C++ written so that -O3 vectorizes them; each exported entry point is
// cloned for AVX-512, AVX2 and baseline x86-64 (GCC's target_clones picks
// one at load time from the CPU's features), and the per-op lambdas are
// inlined into every clone.
//
// Float32 values go through double-precision expressions like the
// TypeScript kernels' (JavaScript numbers are doubles), rounded once on the
// store: the exact operations in float32 directly (same bits), the
// transcendental ones through the vectorized functions of vmath.h (error
// below 1e-14 in double, so the same float32 value except when the two
// straddle a rounding boundary: then one ulp apart). Float64 data goes
// through libm, within an ulp or so of V8's fdlibm.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels.h"
#include "vmath.h"

namespace latent {

namespace {

// ---- unary --------------------------------------------------------------

template <class T, class F>
LATENT_INLINE void map(const T* __restrict x, T* __restrict out, size_t n, F f) {
  for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(f(x[i]));
}

// The expressions of src/kernels/cpu/elementwise.ts, case by case. Exact
// operations (negation, abs, comparisons, one IEEE division, square root,
// product) give the same bits computed in T as in double then rounded,
// so they stay in T and vectorize; the rest go through double.
template <class T>
LATENT_INLINE void unaryLoop(UnaryOp op, const T* __restrict x, T* __restrict out, size_t n) {
  if constexpr (std::is_same_v<T, float>) {
    // Float32: the vectorized double-precision functions of vmath.h.
    switch (op) {
      case UnaryOp::exp: vmath::mapFloat(x, out, n, [](vmath::d8 v) { return vmath::exp(v); }); return;
      case UnaryOp::log: vmath::mapFloat(x, out, n, [](vmath::d8 v) { return vmath::log(v); }); return;
      case UnaryOp::log1p: vmath::mapFloat(x, out, n, [](vmath::d8 v) { return vmath::log1p(v); }); return;
      case UnaryOp::expm1: vmath::mapFloat(x, out, n, [](vmath::d8 v) { return vmath::expm1(v); }); return;
      case UnaryOp::tanh: vmath::mapFloat(x, out, n, [](vmath::d8 v) { return vmath::tanh(v); }); return;
      case UnaryOp::sigmoid: vmath::mapFloat(x, out, n, [](vmath::d8 v) { return vmath::sigmoid(v); }); return;
      case UnaryOp::softplus: vmath::mapFloat(x, out, n, [](vmath::d8 v) { return vmath::softplus(v); }); return;
      default: break;
    }
  }
  switch (op) {
    case UnaryOp::neg: map(x, out, n, [](T v) { return -v; }); break;
    case UnaryOp::abs: map(x, out, n, [](T v) { return std::fabs(v); }); break;
    case UnaryOp::sign: map(x, out, n, [](T v) { return v > 0 ? T(1) : v < 0 ? T(-1) : v; }); break;
    case UnaryOp::relu: map(x, out, n, [](T v) { return v > 0 ? v : T(0); }); break;
    case UnaryOp::step: map(x, out, n, [](T v) { return v > 0 ? T(1) : T(0); }); break;
    case UnaryOp::reciprocal: map(x, out, n, [](T v) { return T(1) / v; }); break;
    case UnaryOp::square: map(x, out, n, [](T v) { return v * v; }); break;
    case UnaryOp::sqrt: map(x, out, n, [](T v) { return std::sqrt(v); }); break;
    case UnaryOp::exp: map(x, out, n, [](T v) { return std::exp(double(v)); }); break;
    case UnaryOp::log: map(x, out, n, [](T v) { return std::log(double(v)); }); break;
    case UnaryOp::log1p: map(x, out, n, [](T v) { return std::log1p(double(v)); }); break;
    case UnaryOp::expm1: map(x, out, n, [](T v) { return std::expm1(double(v)); }); break;
    case UnaryOp::tanh: map(x, out, n, [](T v) { return std::tanh(double(v)); }); break;
    case UnaryOp::sigmoid:
      // Both branches avoid exp overflow: for x >= 0, exp(-x) <= 1.
      map(x, out, n, [](T v) {
        const double d = v;
        if (d >= 0) return 1 / (1 + std::exp(-d));
        const double e = std::exp(d);
        return e / (1 + e);
      });
      break;
    case UnaryOp::softplus:
      // max(x, 0) + log1p(exp(-|x|)): exact for large |x|.
      map(x, out, n, [](T v) {
        const double d = v;
        return (d > 0 ? d : 0.0) + std::log1p(std::exp(-std::fabs(d)));
      });
      break;
    default: break;
  }
}

// ---- binary -------------------------------------------------------------

// Shapes of the loop: both operands advance, or one of them is fixed.
template <class T, class F>
LATENT_INLINE void zip(const T* __restrict a, const T* __restrict b, T* __restrict out, size_t n, F f) {
  for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(f(a[i], b[i]));
}
template <class T, class F>
LATENT_INLINE void zipScalarB(const T* __restrict a, T y, T* __restrict out, size_t n, F f) {
  for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(f(a[i], y));
}
template <class T, class F>
LATENT_INLINE void zipScalarA(T x, const T* __restrict b, T* __restrict out, size_t n, F f) {
  for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(f(x, b[i]));
}
template <class T, class F>
LATENT_INLINE void zipStrided(const T* a, int64_t sa, const T* b, int64_t sb, T* __restrict out, size_t n, F f) {
  for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(f(a[i * sa], b[i * sb]));
}

enum class Layout { same, scalarA, scalarB, repeatA, repeatB, strided };

struct BinaryArgs {
  size_t na, nb, n;
  const int64_t* sa;
  const int64_t* sb;
  const int64_t* shape;
  int rank;
};

template <class T, class F>
LATENT_INLINE void binaryLayout(Layout layout, const T* a, const T* b, T* out, const BinaryArgs& g, F f) {
  switch (layout) {
    case Layout::same: zip(a, b, out, g.n, f); break;
    case Layout::scalarB: zipScalarB(a, b[0], out, g.n, f); break;
    case Layout::scalarA: zipScalarA(a[0], b, out, g.n, f); break;
    case Layout::repeatB:
      for (size_t o = 0; o < g.n; o += g.nb) zip(a + o, b, out + o, g.nb, f);
      break;
    case Layout::repeatA:
      for (size_t o = 0; o < g.n; o += g.na) zip(a, b + o, out + o, g.na, f);
      break;
    case Layout::strided: {
      // Walk the output in rows of its last dimension (rank >= 1, n > 0).
      const int rank = g.rank;
      const int64_t inner = g.shape[rank - 1];
      const int64_t sai = g.sa[rank - 1], sbi = g.sb[rank - 1];
      int64_t idx[64] = {0};
      int64_t offA = 0, offB = 0;
      for (size_t o = 0; o < g.n; o += inner) {
        if (sai == 1 && sbi == 1) zip(a + offA, b + offB, out + o, inner, f);
        else if (sai == 1 && sbi == 0) zipScalarB(a + offA, b[offB], out + o, inner, f);
        else if (sai == 0 && sbi == 1) zipScalarA(a[offA], b + offB, out + o, inner, f);
        else zipStrided(a + offA, sai, b + offB, sbi, out + o, inner, f);
        for (int d = rank - 2; d >= 0; d--) {
          idx[d]++;
          offA += g.sa[d];
          offB += g.sb[d];
          if (idx[d] < g.shape[d]) break;
          offA -= g.sa[d] * g.shape[d];
          offB -= g.sb[d] * g.shape[d];
          idx[d] = 0;
        }
      }
      break;
    }
  }
}

template <class T>
LATENT_INLINE void binaryOps(BinaryOp op, Layout layout, const T* a, const T* b, T* out, const BinaryArgs& g) {
  switch (op) {
    case BinaryOp::add: binaryLayout(layout, a, b, out, g, [](T x, T y) { return x + y; }); break;
    case BinaryOp::sub: binaryLayout(layout, a, b, out, g, [](T x, T y) { return x - y; }); break;
    case BinaryOp::mul: binaryLayout(layout, a, b, out, g, [](T x, T y) { return x * y; }); break;
    case BinaryOp::div: binaryLayout(layout, a, b, out, g, [](T x, T y) { return x / y; }); break;
    case BinaryOp::pow:
      binaryLayout(layout, a, b, out, g, [](T x, T y) { return std::pow(double(x), double(y)); });
      break;
    // NaN in either operand propagates (x !== x picks x; otherwise the comparison fails and picks y).
    case BinaryOp::maximum: binaryLayout(layout, a, b, out, g, [](T x, T y) { return (x > y || x != x) ? x : y; }); break;
    case BinaryOp::minimum: binaryLayout(layout, a, b, out, g, [](T x, T y) { return (x < y || x != x) ? x : y; }); break;
    case BinaryOp::eq: binaryLayout(layout, a, b, out, g, [](T x, T y) { return x == y ? T(1) : T(0); }); break;
    case BinaryOp::ne: binaryLayout(layout, a, b, out, g, [](T x, T y) { return x != y ? T(1) : T(0); }); break;
    case BinaryOp::gt: binaryLayout(layout, a, b, out, g, [](T x, T y) { return x > y ? T(1) : T(0); }); break;
    case BinaryOp::ge: binaryLayout(layout, a, b, out, g, [](T x, T y) { return x >= y ? T(1) : T(0); }); break;
    case BinaryOp::lt: binaryLayout(layout, a, b, out, g, [](T x, T y) { return x < y ? T(1) : T(0); }); break;
    case BinaryOp::le: binaryLayout(layout, a, b, out, g, [](T x, T y) { return x <= y ? T(1) : T(0); }); break;
    default: break;
  }
}

// ---- reductions ---------------------------------------------------------

constexpr int64_t kChunk = 512;  // columns reduced together when inner > 1

template <class T>
LATENT_INLINE void reduceLoop(ReduceOp op, const T* __restrict x, int64_t outer, int64_t n, int64_t inner,
                              T* __restrict out) {
  for (int64_t o = 0; o < outer; o++) {
    const T* base = x + o * n * inner;
    T* dst = out + o * inner;
    if (op == ReduceOp::sum) {
      if (inner == 1) {
        // Eight partial sums in double (a different order from the TypeScript
        // kernel's single running sum: the results agree to double rounding).
        double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t k = 0;
        for (; k + 8 <= n; k += 8) {
          for (int l = 0; l < 8; l++) s[l] += base[k + l];
        }
        double t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        for (; k < n; k++) t += base[k];
        dst[0] = static_cast<T>(t);
        continue;
      }
      // Column sums in double, row after row: the TypeScript kernel's order exactly.
      for (int64_t c0 = 0; c0 < inner; c0 += kChunk) {
        const int64_t w = inner - c0 < kChunk ? inner - c0 : kChunk;
        double acc[kChunk];
        for (int64_t i = 0; i < w; i++) acc[i] = 0;
        for (int64_t k = 0; k < n; k++) {
          const T* row = base + k * inner + c0;
          for (int64_t i = 0; i < w; i++) acc[i] += row[i];
        }
        for (int64_t i = 0; i < w; i++) dst[c0 + i] = static_cast<T>(acc[i]);
      }
    } else if (op == ReduceOp::max || op == ReduceOp::min) {
      // A NaN, once seen, stays (NaN compares false), as in NumPy and PyTorch.
      const bool isMax = op == ReduceOp::max;
      const T init = isMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
      for (int64_t i = 0; i < inner; i++) dst[i] = init;
      for (int64_t k = 0; k < n; k++) {
        const T* row = base + k * inner;
        if (isMax) {
          for (int64_t i = 0; i < inner; i++) {
            const T v = row[i], m = dst[i];
            dst[i] = (v > m || v != v) ? v : m;
          }
        } else {
          for (int64_t i = 0; i < inner; i++) {
            const T v = row[i], m = dst[i];
            dst[i] = (v < m || v != v) ? v : m;
          }
        }
      }
    } else {
      // logsumexp = m + log(sum exp(x - m)); a column of all -inf gives -inf, not NaN.
      for (int64_t c0 = 0; c0 < inner; c0 += kChunk) {
        const int64_t w = inner - c0 < kChunk ? inner - c0 : kChunk;
        T mx[kChunk];
        double acc[kChunk];
        for (int64_t i = 0; i < w; i++) {
          mx[i] = -std::numeric_limits<T>::infinity();
          acc[i] = 0;
        }
        for (int64_t k = 0; k < n; k++) {
          const T* row = base + k * inner + c0;
          for (int64_t i = 0; i < w; i++) {
            const T v = row[i], m = mx[i];
            mx[i] = (v > m || v != v) ? v : m;
          }
        }
        for (int64_t k = 0; k < n; k++) {
          const T* row = base + k * inner + c0;
          for (int64_t i = 0; i < w; i++) acc[i] += std::exp(double(row[i]) - double(mx[i]));
        }
        for (int64_t i = 0; i < w; i++) {
          const double m = mx[i];
          dst[c0 + i] = std::isfinite(m) ? static_cast<T>(m + std::log(acc[i])) : static_cast<T>(m);
        }
      }
    }
  }
}

// ---- strided copies -----------------------------------------------------

template <class T>
LATENT_INLINE void stridedCopyLoop(const T* __restrict x, int64_t offset, const int64_t* strides, T* __restrict out,
                                   const int64_t* shape, int rank, size_t n) {
  if (rank == 0) {
    out[0] = x[offset];
    return;
  }
  const int64_t inner = shape[rank - 1];
  const int64_t si = strides[rank - 1];
  int64_t idx[64] = {0};
  int64_t off = offset;
  for (size_t o = 0; o < n; o += inner) {
    const T* src = x + off;
    T* dst = out + o;
    if (si == 1) {
      for (int64_t j = 0; j < inner; j++) dst[j] = src[j];
    } else if (si == 0) {
      const T v = src[0];
      for (int64_t j = 0; j < inner; j++) dst[j] = v;
    } else {
      for (int64_t j = 0; j < inner; j++) dst[j] = src[j * si];
    }
    for (int d = rank - 2; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

template <class T>
LATENT_INLINE void stridedAssignLoop(const T* __restrict src, T* __restrict out, int64_t offset, const int64_t* strides,
                                     const int64_t* shape, int rank, size_t n) {
  if (rank == 0) {
    out[offset] = src[0];
    return;
  }
  const int64_t inner = shape[rank - 1];
  const int64_t si = strides[rank - 1];
  int64_t idx[64] = {0};
  int64_t off = offset;
  for (size_t o = 0; o < n; o += inner) {
    T* dst = out + off;
    const T* s = src + o;
    // In order, so that with repeated positions (stride 0) the last write wins, as in the TypeScript kernel.
    if (si == 1) {
      for (int64_t j = 0; j < inner; j++) dst[j] = s[j];
    } else {
      for (int64_t j = 0; j < inner; j++) dst[j * si] = s[j];
    }
    for (int d = rank - 2; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

// ---- the cloned entry points ----------------------------------------------

LATENT_CLONES void unaryF32(UnaryOp op, const float* x, float* out, size_t n) { unaryLoop(op, x, out, n); }
LATENT_CLONES void unaryF64(UnaryOp op, const double* x, double* out, size_t n) { unaryLoop(op, x, out, n); }
LATENT_CLONES void binaryF32(BinaryOp op, Layout l, const float* a, const float* b, float* out, const BinaryArgs& g) {
  binaryOps(op, l, a, b, out, g);
}
LATENT_CLONES void binaryF64(BinaryOp op, Layout l, const double* a, const double* b, double* out, const BinaryArgs& g) {
  binaryOps(op, l, a, b, out, g);
}
LATENT_CLONES void reduceF32(ReduceOp op, const float* x, int64_t outer, int64_t n, int64_t inner, float* out) {
  reduceLoop(op, x, outer, n, inner, out);
}
LATENT_CLONES void reduceF64(ReduceOp op, const double* x, int64_t outer, int64_t n, int64_t inner, double* out) {
  reduceLoop(op, x, outer, n, inner, out);
}
LATENT_CLONES void stridedCopyF32(const float* x, int64_t off, const int64_t* st, float* out, const int64_t* sh, int r, size_t n) {
  stridedCopyLoop(x, off, st, out, sh, r, n);
}
LATENT_CLONES void stridedCopyF64(const double* x, int64_t off, const int64_t* st, double* out, const int64_t* sh, int r, size_t n) {
  stridedCopyLoop(x, off, st, out, sh, r, n);
}

template <class T, class C>
LATENT_INLINE void whereLoop(const C* __restrict cond, const T* __restrict a, const T* __restrict b, T* __restrict out,
                             size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = cond[i] != 0 ? a[i] : b[i];
}
template <class T>
LATENT_INLINE void clampLoop(const T* __restrict x, T lo, T hi, T* __restrict out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const T v = x[i];
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

LATENT_CLONES void clampF32(const float* x, float lo, float hi, float* out, size_t n) { clampLoop(x, lo, hi, out, n); }
LATENT_CLONES void clampF64(const double* x, double lo, double hi, double* out, size_t n) { clampLoop(x, lo, hi, out, n); }
LATENT_CLONES void whereFF(const float* c, const float* a, const float* b, float* out, size_t n) { whereLoop(c, a, b, out, n); }
LATENT_CLONES void whereDD(const double* c, const double* a, const double* b, double* out, size_t n) { whereLoop(c, a, b, out, n); }
LATENT_CLONES void whereDF(const double* c, const float* a, const float* b, float* out, size_t n) { whereLoop(c, a, b, out, n); }
LATENT_CLONES void whereFD(const float* c, const double* a, const double* b, double* out, size_t n) { whereLoop(c, a, b, out, n); }

template <class T> struct Clones;
template <>
struct Clones<float> {
  static void unary(UnaryOp op, const float* x, float* o, size_t n) { unaryF32(op, x, o, n); }
  static void binary(BinaryOp op, Layout l, const float* a, const float* b, float* o, const BinaryArgs& g) {
    binaryF32(op, l, a, b, o, g);
  }
  static void reduce(ReduceOp op, const float* x, int64_t a, int64_t n, int64_t i, float* o) { reduceF32(op, x, a, n, i, o); }
  static void copy(const float* x, int64_t off, const int64_t* st, float* o, const int64_t* sh, int r, size_t n) {
    stridedCopyF32(x, off, st, o, sh, r, n);
  }
  static void clamp(const float* x, double lo, double hi, float* o, size_t n) {
    clampF32(x, static_cast<float>(lo), static_cast<float>(hi), o, n);
  }
};
template <>
struct Clones<double> {
  static void unary(UnaryOp op, const double* x, double* o, size_t n) { unaryF64(op, x, o, n); }
  static void binary(BinaryOp op, Layout l, const double* a, const double* b, double* o, const BinaryArgs& g) {
    binaryF64(op, l, a, b, o, g);
  }
  static void reduce(ReduceOp op, const double* x, int64_t a, int64_t n, int64_t i, double* o) { reduceF64(op, x, a, n, i, o); }
  static void copy(const double* x, int64_t off, const int64_t* st, double* o, const int64_t* sh, int r, size_t n) {
    stridedCopyF64(x, off, st, o, sh, r, n);
  }
  static void clamp(const double* x, double lo, double hi, double* o, size_t n) { clampF64(x, lo, hi, o, n); }
};

}  // namespace

template <class T>
void unary(UnaryOp op, const T* x, T* out, size_t n) {
  Clones<T>::unary(op, x, out, n);
}

template <class T>
void binarySimple(BinaryOp op, const T* a, size_t na, const T* b, size_t nb, T* out, size_t n) {
  const BinaryArgs g{na, nb, n, nullptr, nullptr, nullptr, 0};
  const Layout l = (na == n && nb == n) ? Layout::same : (nb == 1 && na == n) ? Layout::scalarB : Layout::scalarA;
  // na == nb == 1 with n == 1 is `same`; na == 1 && nb == 1 with n > 1 cannot happen (n is their broadcast).
  Clones<T>::binary(op, l, a, b, out, g);
}

template <class T>
void binaryRepeat(BinaryOp op, const T* a, size_t na, const T* b, size_t nb, T* out, size_t n, bool bRepeats) {
  const BinaryArgs g{na, nb, n, nullptr, nullptr, nullptr, 0};
  Clones<T>::binary(op, bRepeats ? Layout::repeatB : Layout::repeatA, a, b, out, g);
}

template <class T>
void binaryStrided(BinaryOp op, const T* a, const int64_t* sa, const T* b, const int64_t* sb, T* out,
                   const int64_t* shape, int rank, size_t n) {
  const BinaryArgs g{0, 0, n, sa, sb, shape, rank};
  Clones<T>::binary(op, Layout::strided, a, b, out, g);
}

template <class T>
void clamp(const T* x, double lo, double hi, T* out, size_t n) {
  Clones<T>::clamp(x, lo, hi, out, n);
}

template <>
void where<float, float>(const float* c, const float* a, const float* b, float* out, size_t n) { whereFF(c, a, b, out, n); }
template <>
void where<double, double>(const double* c, const double* a, const double* b, double* out, size_t n) { whereDD(c, a, b, out, n); }
template <>
void where<float, double>(const double* c, const float* a, const float* b, float* out, size_t n) { whereDF(c, a, b, out, n); }
template <>
void where<double, float>(const float* c, const double* a, const double* b, double* out, size_t n) { whereFD(c, a, b, out, n); }

template <class T>
void reduce(ReduceOp op, const T* x, int64_t outer, int64_t n, int64_t inner, T* out) {
  Clones<T>::reduce(op, x, outer, n, inner, out);
}

template <class T>
void stridedCopy(const T* x, int64_t offset, const int64_t* strides, T* out, const int64_t* shape, int rank, size_t n) {
  Clones<T>::copy(x, offset, strides, out, shape, rank, n);
}

template <class T>
void stridedAssign(const T* src, T* out, int64_t offset, const int64_t* strides, const int64_t* shape, int rank, size_t n) {
  stridedAssignLoop(src, out, offset, strides, shape, rank, n);
}

#define LATENT_INSTANTIATE(T)                                                                                   \
  template void unary<T>(UnaryOp, const T*, T*, size_t);                                                        \
  template void binarySimple<T>(BinaryOp, const T*, size_t, const T*, size_t, T*, size_t);                      \
  template void binaryRepeat<T>(BinaryOp, const T*, size_t, const T*, size_t, T*, size_t, bool);                \
  template void binaryStrided<T>(BinaryOp, const T*, const int64_t*, const T*, const int64_t*, T*,              \
                                 const int64_t*, int, size_t);                                                  \
  template void clamp<T>(const T*, double, double, T*, size_t);                                                 \
  template void reduce<T>(ReduceOp, const T*, int64_t, int64_t, int64_t, T*);                                   \
  template void stridedCopy<T>(const T*, int64_t, const int64_t*, T*, const int64_t*, int, size_t);             \
  template void stridedAssign<T>(const T*, T*, int64_t, const int64_t*, const int64_t*, int, size_t);
LATENT_INSTANTIATE(float)
LATENT_INSTANTIATE(double)

}  // namespace latent
