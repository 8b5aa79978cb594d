// Fused kernels, with the semantics of src/kernels/cpu/fused.ts: bias +
// activation after a GEMM, the activations' backward from their output, the
// Bernoulli log-likelihood from logits and its gradient, the Gaussian KL to
// N(0, I), and the Adam update, each one pass over memory.
//
// The same conventions as elementwise.cc: exact operations (+, -, *, /,
// sqrt) in the array's type give the bits of the TypeScript kernel, which
// computes in double and rounds; float32 transcendental functions go through
// the vectorized double-precision vmath.h (one float32 ulp at most from the
// TypeScript result), float64 ones through libm; except the Bernoulli
// kernels' float32 terms, computed in float32 (within float32 rounding of
// the double-precision result; see bernoulliLogitsF32). Entry points are
// cloned for AVX-512, AVX2 and baseline x86-64.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels.h"
#include "vmath.h"

namespace latent {

namespace {

using vmath::d8;
using vmath::i8;

// ---- float32 helpers: eight lanes in double ----------------------------------

/** Up to eight floats (the rest zero) as doubles. */
LATENT_INLINE d8 loadPartial(const float* p, size_t count) {
  if (count >= 8) return vmath::load(p);
  float in[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(in, p, count * sizeof(float));
  return vmath::load(in);
}

LATENT_INLINE void storePartial(float* p, d8 v, size_t count) {
  if (count >= 8) {
    vmath::store(p, v);
    return;
  }
  float res[8];
  vmath::store(res, v);
  std::memcpy(p, res, count * sizeof(float));
}

LATENT_INLINE double hsum(d8 v) {
  return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

/** In place: x[i] = f(x[i]) through double, eight at a time (x is both source and destination, so no restrict). */
template <class F>
LATENT_INLINE void mapInPlace(float* x, size_t n, F f) {
  for (size_t i = 0; i < n; i += 8) storePartial(x + i, f(loadPartial(x + i, n - i)), n - i);
}

// ---- bias + activation --------------------------------------------------------

/** In place over a run of n values: v = act(v). */
template <class T>
LATENT_INLINE void activateRun(Activation act, T* v, int64_t n) {
  switch (act) {
    case Activation::identity: break;
    case Activation::relu:
      for (int64_t j = 0; j < n; j++) v[j] = v[j] > 0 ? v[j] : T(0);
      break;
    case Activation::tanh:
      if constexpr (std::is_same_v<T, float>) mapInPlace(v, n, [](d8 u) { return vmath::tanh(u); });
      else for (int64_t j = 0; j < n; j++) v[j] = std::tanh(v[j]);
      break;
    case Activation::sigmoid:
      if constexpr (std::is_same_v<T, float>) {
        mapInPlace(v, n, [](d8 u) { return vmath::sigmoid(u); });
      } else {
        for (int64_t j = 0; j < n; j++) {
          const double d = v[j];
          if (d >= 0) {
            v[j] = 1 / (1 + std::exp(-d));
          } else {
            const double e = std::exp(d);
            v[j] = e / (1 + e);
          }
        }
      }
      break;
    default: break;
  }
}

/** out = x + b over a run (x may be out), or a copy without a bias. */
template <class T>
LATENT_INLINE void addRun(const T* x, const T* b, bool rowBias, T* out, int64_t n) {
  if (b == nullptr) {
    if (x != out) std::memmove(out, x, sizeof(T) * static_cast<size_t>(n));
  } else if (rowBias) {
    for (int64_t j = 0; j < n; j++) out[j] = x[j] + b[j];
  } else {
    const T v = b[0];
    for (int64_t j = 0; j < n; j++) out[j] = x[j] + v;
  }
}

template <class T>
LATENT_INLINE void biasActivationLoop(Activation act, const T* x, const T* bias, int64_t outer, int64_t channels, int64_t inner,
                                      T* out) {
  for (int64_t o = 0; o < outer; o++) {
    if (inner == 1) {
      // A row of features and the bias row (a Linear's output).
      addRun(x + o * channels, bias, true, out + o * channels, channels);
      activateRun(act, out + o * channels, channels);
      continue;
    }
    for (int64_t k = 0; k < channels; k++) {
      const int64_t at = (o * channels + k) * inner;
      addRun(x + at, bias ? bias + k : nullptr, false, out + at, inner);
      activateRun(act, out + at, inner);
    }
  }
}

// ---- activation backward --------------------------------------------------------

template <class T>
LATENT_INLINE void activationGradLoop(Activation act, const T* __restrict g, const T* __restrict y, T* __restrict out,
                                      size_t n) {
  switch (act) {
    case Activation::identity: for (size_t i = 0; i < n; i++) out[i] = g[i]; break;
    case Activation::relu: for (size_t i = 0; i < n; i++) out[i] = g[i] * (y[i] > 0 ? T(1) : T(0)); break;
    case Activation::tanh: for (size_t i = 0; i < n; i++) out[i] = g[i] * (T(1) - y[i] * y[i]); break;
    case Activation::sigmoid: for (size_t i = 0; i < n; i++) out[i] = g[i] * (y[i] * (T(1) - y[i])); break;
    default: break;
  }
}

// ---- Bernoulli log-likelihood from logits ------------------------------------------

// Float32 data: each term in float32 arithmetic, sixteen lanes at a time
// (vmath.h's float functions, a few ulps), the row sum in double. The term
// has the precision of the unfused float32 ops (which round every
// intermediate), at a fraction of the cost of computing it in double.
using vmath::f16;
using vmath::n16;

/** Up to sixteen floats (the rest zero). */
LATENT_INLINE f16 loadPartialF(const float* p, size_t count) {
  if (count >= 16) return vmath::loadf(p);
  float in[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(in, p, count * sizeof(float));
  return vmath::loadf(in);
}

LATENT_INLINE void storePartialF(float* p, f16 v, size_t count) {
  if (count >= 16) {
    vmath::storef(p, v);
    return;
  }
  float res[16];
  vmath::storef(res, v);
  std::memcpy(p, res, count * sizeof(float));
}

/** sigmoid(l) from e = e^-|l|: (l >= 0 ? 1 : e) / (1 + e). */
LATENT_INLINE f16 sigmoidFromExp(f16 l, f16 e) {
  return vmath::selectf(l >= vmath::splatf(0.0f), vmath::splatf(1.0f), e) / (vmath::splatf(1.0f) + e);
}

LATENT_INLINE void bernoulliLogitsF32(const float* x, bool xRepeats, const float* l, int64_t rows, int64_t cols,
                                      float* out, float* sig) {
  const n16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const f16 zero = vmath::splatf(0.0f);
  for (int64_t r = 0; r < rows; r++) {
    const float* lr = l + r * cols;
    const float* xr = x + (xRepeats ? 0 : r * cols);
    float* sr = sig ? sig + r * cols : nullptr;
    d8 acc0 = vmath::splat(0.0), acc1 = vmath::splat(0.0);
    for (int64_t j = 0; j < cols; j += 16) {
      const size_t count = static_cast<size_t>(cols - j);
      const f16 lv = loadPartialF(lr + j, count);
      const f16 xv = loadPartialF(xr + j, count);
      const f16 e = vmath::expNonPositivef(-vmath::absf(lv));
      const f16 pos = vmath::selectf(lv > zero, lv, zero);
      f16 term = xv * lv - (pos + vmath::log1pUnitf(e));
      if (count < 16) term = vmath::selectf(lane < static_cast<int>(count), term, zero);
      acc0 += vmath::lowHalf(term);
      acc1 += vmath::highHalf(term);
      if (sr) storePartialF(sr + j, sigmoidFromExp(lv, e), count);
    }
    out[r] = static_cast<float>(hsum(acc0 + acc1));
  }
}

LATENT_INLINE void bernoulliLogitsF64(const double* x, bool xRepeats, const double* l, int64_t rows, int64_t cols,
                                      double* out, double* sig) {
  for (int64_t r = 0; r < rows; r++) {
    const double* lr = l + r * cols;
    const double* xr = x + (xRepeats ? 0 : r * cols);
    double s = 0;
    for (int64_t j = 0; j < cols; j++) {
      const double lv = lr[j];
      const double e = std::exp(-std::fabs(lv));
      s += xr[j] * lv - ((lv > 0 ? lv : 0.0) + std::log1p(e));
      if (sig) sig[r * cols + j] = (lv >= 0 ? 1.0 : e) / (1 + e);
    }
    out[r] = s;
  }
}

template <class T>
LATENT_INLINE void bernoulliLogitsGradLoop(const T* __restrict g, const T* __restrict x, bool xRepeats,
                                           const T* __restrict l, const T* __restrict sig, int64_t rows, int64_t cols,
                                           T* __restrict out) {
  for (int64_t r = 0; r < rows; r++) {
    const T* xr = x + (xRepeats ? 0 : r * cols);
    const double gr = g[r];
    T* o = out + r * cols;
    if (sig) {
      const T* s = sig + r * cols;
      for (int64_t j = 0; j < cols; j++) o[j] = static_cast<T>(gr * (double(xr[j]) - double(s[j])));
      continue;
    }
    const T* lr = l + r * cols;
    if constexpr (std::is_same_v<T, float>) {
      const f16 gv = vmath::splatf(static_cast<float>(gr));
      for (int64_t j = 0; j < cols; j += 16) {
        const size_t count = static_cast<size_t>(cols - j);
        const f16 lv = loadPartialF(lr + j, count);
        const f16 s = sigmoidFromExp(lv, vmath::expNonPositivef(-vmath::absf(lv)));
        storePartialF(o + j, gv * (loadPartialF(xr + j, count) - s), count);
      }
    } else {
      for (int64_t j = 0; j < cols; j++) {
        const double lv = lr[j];
        const double e = std::exp(-std::fabs(lv));
        o[j] = gr * (xr[j] - (lv >= 0 ? 1.0 : e) / (1 + e));
      }
    }
  }
}

// ---- Gaussian KL to N(0, I) -------------------------------------------------------

template <class T>
LATENT_INLINE void gaussianKLLoop(const T* mu, const T* lv, int64_t rows, int64_t cols, T* out) {
  for (int64_t r = 0; r < rows; r++) {
    double s = 0;
    for (int64_t j = 0; j < cols; j++) {
      const double m = mu[r * cols + j], v = lv[r * cols + j];
      s += 1 + v - m * m - std::exp(v);
    }
    out[r] = static_cast<T>(-0.5 * s);
  }
}

// ---- Adam -----------------------------------------------------------------------------

template <class T, bool L2, bool SHRINK, bool AMS>
LATENT_INLINE void adamLoop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                            T* __restrict vmax, const AdamScalars& s, size_t n) {
  const double a1 = 1 - s.beta1, a2 = 1 - s.beta2, sign = s.maximize ? -1.0 : 1.0;
  const double beta1 = s.beta1, beta2 = s.beta2, l2 = s.l2, shrink = s.shrink, eps = s.eps;
  const double bc2Sqrt = s.bc2Sqrt, negStep = -s.stepSize;
  for (size_t i = 0; i < n; i++) {
    double gi = sign * double(g[i]);
    if (L2) gi = gi + l2 * double(p[i]);
    const double pi = SHRINK ? double(p[i]) * shrink : double(p[i]);
    const T mi = static_cast<T>(double(m[i]) * beta1 + a1 * gi);
    const T vi = static_cast<T>(double(v[i]) * beta2 + a2 * gi * gi);
    m[i] = mi;
    v[i] = vi;
    double vv = vi;
    if (AMS) {
      const T mx = vmax[i] > vi ? vmax[i] : vi;
      vmax[i] = mx;
      vv = mx;
    }
    const double denom = std::sqrt(vv) / bc2Sqrt + eps;
    p[i] = static_cast<T>(pi + (negStep * double(mi)) / denom);
  }
}

template <class T>
LATENT_INLINE void adamDispatch(T* p, const T* g, T* m, T* v, T* vmax, const AdamScalars& s, size_t n) {
  const bool l2 = s.l2 != 0, shrink = s.shrink != 1, ams = vmax != nullptr;
  if (!l2 && !shrink && !ams) adamLoop<T, false, false, false>(p, g, m, v, vmax, s, n);
  else if (!l2 && shrink && !ams) adamLoop<T, false, true, false>(p, g, m, v, vmax, s, n);
  else if (l2 && !shrink && !ams) adamLoop<T, true, false, false>(p, g, m, v, vmax, s, n);
  else if (l2 && shrink && !ams) adamLoop<T, true, true, false>(p, g, m, v, vmax, s, n);
  else if (!l2 && !shrink) adamLoop<T, false, false, true>(p, g, m, v, vmax, s, n);
  else if (!l2) adamLoop<T, false, true, true>(p, g, m, v, vmax, s, n);
  else if (!shrink) adamLoop<T, true, false, true>(p, g, m, v, vmax, s, n);
  else adamLoop<T, true, true, true>(p, g, m, v, vmax, s, n);
}

// ---- the cloned entry points ----------------------------------------------------------

LATENT_CLONES void biasActivationF32(Activation a, const float* x, const float* b, int64_t o, int64_t c, int64_t i, float* out) {
  biasActivationLoop(a, x, b, o, c, i, out);
}
LATENT_CLONES void biasActivationF64(Activation a, const double* x, const double* b, int64_t o, int64_t c, int64_t i, double* out) {
  biasActivationLoop(a, x, b, o, c, i, out);
}
LATENT_CLONES void activationGradF32(Activation a, const float* g, const float* y, float* o, size_t n) { activationGradLoop(a, g, y, o, n); }
LATENT_CLONES void activationGradF64(Activation a, const double* g, const double* y, double* o, size_t n) { activationGradLoop(a, g, y, o, n); }
LATENT_CLONES void bernoulliLogitsF32Entry(const float* x, bool xr, const float* l, int64_t r, int64_t c, float* o, float* s) {
  bernoulliLogitsF32(x, xr, l, r, c, o, s);
}
LATENT_CLONES void bernoulliLogitsF64Entry(const double* x, bool xr, const double* l, int64_t r, int64_t c, double* o, double* s) {
  bernoulliLogitsF64(x, xr, l, r, c, o, s);
}
LATENT_CLONES void bernoulliLogitsGradF32(const float* g, const float* x, bool xr, const float* l, const float* s, int64_t r,
                                          int64_t c, float* o) {
  bernoulliLogitsGradLoop(g, x, xr, l, s, r, c, o);
}
LATENT_CLONES void bernoulliLogitsGradF64(const double* g, const double* x, bool xr, const double* l, const double* s, int64_t r,
                                          int64_t c, double* o) {
  bernoulliLogitsGradLoop(g, x, xr, l, s, r, c, o);
}
LATENT_CLONES void adamF32(float* p, const float* g, float* m, float* v, float* vmax, const AdamScalars& s, size_t n) {
  adamDispatch(p, g, m, v, vmax, s, n);
}
LATENT_CLONES void adamF64(double* p, const double* g, double* m, double* v, double* vmax, const AdamScalars& s, size_t n) {
  adamDispatch(p, g, m, v, vmax, s, n);
}

}  // namespace

template <>
void biasActivation<float>(Activation act, const float* x, const float* bias, int64_t outer, int64_t channels, int64_t inner,
                           float* out) {
  biasActivationF32(act, x, bias, outer, channels, inner, out);
}
template <>
void biasActivation<double>(Activation act, const double* x, const double* bias, int64_t outer, int64_t channels, int64_t inner,
                            double* out) {
  biasActivationF64(act, x, bias, outer, channels, inner, out);
}
template <>
void activationGrad<float>(Activation act, const float* g, const float* y, float* out, size_t n) { activationGradF32(act, g, y, out, n); }
template <>
void activationGrad<double>(Activation act, const double* g, const double* y, double* out, size_t n) {
  activationGradF64(act, g, y, out, n);
}
template <>
void bernoulliLogits<float>(const float* x, bool xRepeats, const float* l, int64_t rows, int64_t cols, float* out, float* sig) {
  bernoulliLogitsF32Entry(x, xRepeats, l, rows, cols, out, sig);
}
template <>
void bernoulliLogits<double>(const double* x, bool xRepeats, const double* l, int64_t rows, int64_t cols, double* out, double* sig) {
  bernoulliLogitsF64Entry(x, xRepeats, l, rows, cols, out, sig);
}
template <>
void bernoulliLogitsGrad<float>(const float* g, const float* x, bool xRepeats, const float* l, const float* sig, int64_t rows,
                                int64_t cols, float* out) {
  bernoulliLogitsGradF32(g, x, xRepeats, l, sig, rows, cols, out);
}
template <>
void bernoulliLogitsGrad<double>(const double* g, const double* x, bool xRepeats, const double* l, const double* sig, int64_t rows,
                                 int64_t cols, double* out) {
  bernoulliLogitsGradF64(g, x, xRepeats, l, sig, rows, cols, out);
}
template <class T>
void gaussianKL(const T* mu, const T* logvar, int64_t rows, int64_t cols, T* out) {
  gaussianKLLoop(mu, logvar, rows, cols, out);
}
template void gaussianKL<float>(const float*, const float*, int64_t, int64_t, float*);
template void gaussianKL<double>(const double*, const double*, int64_t, int64_t, double*);
template <>
void adamStep<float>(float* p, const float* g, float* m, float* v, float* vmax, const AdamScalars& s, size_t n) {
  adamF32(p, g, m, v, vmax, s, n);
}
template <>
void adamStep<double>(double* p, const double* g, double* m, double* v, double* vmax, const AdamScalars& s, size_t n) {
  adamF64(p, g, m, v, vmax, s, n);
}

}  // namespace latent
