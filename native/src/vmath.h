// Vectorized exp, log, log1p, expm1, tanh, sigmoid and softplus for float32
// data, computed in double precision eight lanes at a time (GCC vector
// extensions: one zmm register with AVX-512, two ymm with AVX2, four xmm
// otherwise) and rounded to float32 once. Their relative error in double is
// below 1e-14, so after the rounding they give the float32 value of the
// double-precision result the TypeScript kernels compute, except in the rare
// case where the two straddle a float32 rounding boundary (then one ulp
// apart). Float64 data keeps libm (see elementwise.cc).
//
// The reductions are the classical ones (Cody and Waite 1980; Tang 1989;
// fdlibm): exp(x) = 2^k e^r with |r| <= ln2/2 and a degree-12 Taylor
// polynomial; log(x) = e ln2 + 2 atanh(s), s = f / (2 + f), f = m - 1 for
// m in [sqrt(1/2), sqrt(2)); log1p by Goldberg's correction
// x log(u) / (u - 1), u = 1 + x.
#pragma once

#include <cstdint>
#include <cstring>

namespace latent {
namespace vmath {

typedef double d8 __attribute__((vector_size(64)));
typedef long long i8 __attribute__((vector_size(64)));
typedef float f8 __attribute__((vector_size(32)));

#define VMATH_INLINE static inline __attribute__((always_inline))

VMATH_INLINE d8 splat(double v) { return d8{v, v, v, v, v, v, v, v}; }
VMATH_INLINE d8 select(i8 mask, d8 a, d8 b) { return mask ? a : b; }
VMATH_INLINE d8 absd(d8 x) { return (d8)((i8)x & 0x7fffffffffffffffLL); }
VMATH_INLINE d8 copySign(d8 mag, d8 sign) {
  const i8 s = (i8)sign & (i8)splat(-0.0);
  return (d8)(((i8)mag & 0x7fffffffffffffffLL) | s);
}

/** e^x for x in double; inputs beyond [-708, 709] are clamped (fine once rounded to float32: 0 or inf). */
VMATH_INLINE d8 exp(d8 x) {
  const d8 lo = splat(-708.0), hi = splat(709.0);
  x = select(x < lo, lo, x);
  x = select(x > hi, hi, x);  // NaN passes both
  const d8 shift = splat(6755399441055744.0);  // 1.5 * 2^52: adding it rounds to an integer in the low mantissa bits
  const d8 t = x * splat(1.4426950408889634) + shift;
  const d8 k = t - shift;
  const d8 r = (x - k * splat(6.93147180369123816490e-01)) - k * splat(1.90821492927058770002e-10);
  // Taylor to r^12: the remainder is below 2e-16 relative for |r| <= ln2/2.
  d8 p = splat(1.0 / 479001600.0);
  p = p * r + splat(1.0 / 39916800.0);
  p = p * r + splat(1.0 / 3628800.0);
  p = p * r + splat(1.0 / 362880.0);
  p = p * r + splat(1.0 / 40320.0);
  p = p * r + splat(1.0 / 5040.0);
  p = p * r + splat(1.0 / 720.0);
  p = p * r + splat(1.0 / 120.0);
  p = p * r + splat(1.0 / 24.0);
  p = p * r + splat(1.0 / 6.0);
  p = p * r + splat(0.5);
  p = p * r + splat(1.0);
  p = p * r + splat(1.0);
  // 2^k from the integer in t's low bits: (k + 1023) << 52, k in [-1022, 1023].
  const i8 scale = ((i8)t + 1023) << 52;
  return p * (d8)scale;
}

/** log(x) for x > 0 normal in double; x < 0 gives NaN, 0 gives -inf, inf gives inf, NaN passes. */
VMATH_INLINE d8 log(d8 x) {
  const i8 bits = (i8)x;
  i8 e = ((bits >> 52) & 0x7ff) - 1023;
  d8 m = (d8)((bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL);  // in [1, 2)
  const i8 big = m > splat(1.4142135623730951);
  m = select(big, m * splat(0.5), m);
  e = e - big;  // big is -1 where true
  // e as a double through the same magic constant (|e| < 2^51).
  const d8 ed = (d8)(e + (i8)splat(6755399441055744.0)) - splat(6755399441055744.0);
  const d8 f = m - splat(1.0);
  const d8 s = f / (splat(2.0) + f);
  const d8 z = s * s;
  // 2 atanh(s) = 2s (1 + z/3 + z^2/5 + ...), |s| <= 0.1716: terms to z^8.
  d8 q = splat(1.0 / 17.0);
  q = q * z + splat(1.0 / 15.0);
  q = q * z + splat(1.0 / 13.0);
  q = q * z + splat(1.0 / 11.0);
  q = q * z + splat(1.0 / 9.0);
  q = q * z + splat(1.0 / 7.0);
  q = q * z + splat(1.0 / 5.0);
  q = q * z + splat(1.0 / 3.0);
  const d8 logm = splat(2.0) * s + splat(2.0) * s * (z * q);
  d8 r = ed * splat(6.93147180369123816490e-01) + (logm + ed * splat(1.90821492927058770002e-10));
  const d8 inf = splat(__builtin_inf());
  r = select(x == inf, inf, r);
  r = select(x == splat(0.0), -inf, r);
  r = select(x < splat(0.0), splat(__builtin_nan("")), r);
  return select(x != x, x, r);
}

/** log(1 + x), accurate for small x. */
VMATH_INLINE d8 log1p(d8 x) {
  const d8 u = splat(1.0) + x;
  const d8 d = u - splat(1.0);
  d8 r = x * log(u) / d;  // Goldberg: the rounding of u cancels
  r = select(d == splat(0.0), x, r);
  r = select(x == splat(__builtin_inf()), x, r);
  return r;
}

/** e^x - 1, accurate for small x. */
VMATH_INLINE d8 expm1(d8 x) {
  // |x| <= 0.5: Taylor to x^15 (remainder below 1e-17 relative); beyond, e^x - 1 loses little.
  d8 p = splat(1.0 / 1307674368000.0);
  p = p * x + splat(1.0 / 87178291200.0);
  p = p * x + splat(1.0 / 6227020800.0);
  p = p * x + splat(1.0 / 479001600.0);
  p = p * x + splat(1.0 / 39916800.0);
  p = p * x + splat(1.0 / 3628800.0);
  p = p * x + splat(1.0 / 362880.0);
  p = p * x + splat(1.0 / 40320.0);
  p = p * x + splat(1.0 / 5040.0);
  p = p * x + splat(1.0 / 720.0);
  p = p * x + splat(1.0 / 120.0);
  p = p * x + splat(1.0 / 24.0);
  p = p * x + splat(1.0 / 6.0);
  p = p * x + splat(0.5);
  p = p * x * x + x;
  const d8 big = exp(x) - splat(1.0);
  const d8 ax = absd(x);
  d8 r = select(ax <= splat(0.5), p, big);
  r = select(x == splat(0.0), x, r);  // keeps the sign of zero
  return select(x != x, x, r);
}

VMATH_INLINE d8 tanh(d8 x) {
  // tanh|x| = expm1(2|x|) / (expm1(2|x|) + 2), with the sign of x.
  const d8 em = expm1(splat(2.0) * absd(x));
  d8 t = em / (em + splat(2.0));
  t = select(em == splat(__builtin_inf()), splat(1.0), t);
  return select(x != x, x, copySign(t, x));
}

VMATH_INLINE d8 sigmoid(d8 x) {
  // x >= 0: 1 / (1 + e^-x); x < 0: e^x / (1 + e^x); both with e = e^-|x| <= 1.
  const d8 e = exp(-absd(x));
  const d8 r = select(x >= splat(0.0), splat(1.0), e) / (splat(1.0) + e);
  return select(x != x, x, r);
}

VMATH_INLINE d8 softplus(d8 x) {
  // max(x, 0) + log1p(e^-|x|).
  const d8 pos = select(x > splat(0.0), x, splat(0.0));
  return pos + log1p(exp(-absd(x)));
}

VMATH_INLINE d8 load(const float* p) {
  f8 v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_convertvector(v, d8);
}

VMATH_INLINE void store(float* p, d8 v) {
  const f8 f = __builtin_convertvector(v, f8);
  std::memcpy(p, &f, sizeof f);
}

/** out[i] = f(x[i]) eight at a time; the tail goes through a zero-padded block. */
template <class F>
VMATH_INLINE void mapFloat(const float* __restrict x, float* __restrict out, size_t n, F f) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) store(out + i, f(load(x + i)));
  if (i < n) {
    float in[8] = {0, 0, 0, 0, 0, 0, 0, 0}, res[8];
    std::memcpy(in, x + i, (n - i) * sizeof(float));
    store(res, f(load(in)));
    std::memcpy(out + i, res, (n - i) * sizeof(float));
  }
}

#undef VMATH_INLINE

}  // namespace vmath
}  // namespace latent
