// Vectorized exp, log, log1p, expm1, tanh, sigmoid and softplus for float32
// data, computed in double precision eight lanes at a time (GCC vector
// extensions: one zmm register with AVX-512, two ymm with AVX2, four xmm
// otherwise) and rounded to float32 once. Their relative error in double is
// below 1e-10, far below half a float32 ulp (3e-8), so after the rounding
// they give the float32 value of the double-precision result the TypeScript
// kernels compute, except where the two straddle a float32 rounding
// boundary: then one ulp apart, never more. (The polynomials stop where
// float32 results stop needing terms: degree 10 for exp, not the 13 a
// double result would need.) Float64 data keeps libm (see elementwise.cc).
//
// The reductions are the classical ones (Cody and Waite 1980; Tang 1989;
// fdlibm): exp(x) = 2^k e^r with |r| <= ln2/2 and a degree-10 Taylor
// polynomial; log(x) = e ln2 + 2 atanh(s), s = f / (2 + f), f = m - 1 for
// m in [sqrt(1/2), sqrt(2)); log1p by Goldberg's correction
// x log(u) / (u - 1), u = 1 + x; expm1 by the same reduction as exp,
// 2^k (e^r - 1) + (2^k - 1), with e^r - 1 as a polynomial free of
// cancellation; log(1 + e) for e in [0, 1] (softplus) without log's
// exponent extraction.
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
// Special values tested on the bits: GCC sometimes turns a floating-point
// == or != on a vector converted from float32 into a compare per lane.
VMATH_INLINE i8 isNaN(d8 x) { return ((i8)x & 0x7fffffffffffffffLL) > 0x7ff0000000000000LL; }
VMATH_INLINE i8 isZero(d8 x) { return ((i8)x << 1) == 0; }
VMATH_INLINE i8 isPosInf(d8 x) { return (i8)x == 0x7ff0000000000000LL; }
VMATH_INLINE d8 copySign(d8 mag, d8 sign) {
  const i8 s = (i8)sign & (i8)splat(-0.0);
  return (d8)(((i8)mag & 0x7fffffffffffffffLL) | s);
}

/** Splits x into k ln2 + r, |r| <= ln2/2 (Cody-Waite, two-part ln2); `t` carries k in its low mantissa bits. */
VMATH_INLINE d8 reduceLn2(d8 x, d8& t, d8& k) {
  const d8 shift = splat(6755399441055744.0);  // 1.5 * 2^52: adding it rounds to an integer in the low mantissa bits
  t = x * splat(1.4426950408889634) + shift;
  k = t - shift;
  return (x - k * splat(6.93147180369123816490e-01)) - k * splat(1.90821492927058770002e-10);
}

/** 2^k for the integer k held in t's low bits (k in [-1022, 1023]). */
VMATH_INLINE d8 pow2(d8 t) { return (d8)(((i8)t + 1023) << 52); }

/**
 * e^r - 1 - r for |r| <= ln2/2: Taylor from r^2 to r^10 (the remainder,
 * r^11 / 11! <= 2e-13 relative to e^r - 1: float32 results need 3e-8).
 */
VMATH_INLINE d8 expm1Tail(d8 r) {
  d8 p = splat(1.0 / 3628800.0);
  p = p * r + splat(1.0 / 362880.0);
  p = p * r + splat(1.0 / 40320.0);
  p = p * r + splat(1.0 / 5040.0);
  p = p * r + splat(1.0 / 720.0);
  p = p * r + splat(1.0 / 120.0);
  p = p * r + splat(1.0 / 24.0);
  p = p * r + splat(1.0 / 6.0);
  p = p * r + splat(0.5);
  return p * (r * r);
}

/** e^x for x in double; inputs beyond [-708, 709] are clamped (fine once rounded to float32: 0 or inf). */
VMATH_INLINE d8 exp(d8 x) {
  const d8 lo = splat(-708.0), hi = splat(709.0);
  x = select(x < lo, lo, x);
  x = select(x > hi, hi, x);  // NaN passes both
  d8 t, k;
  const d8 r = reduceLn2(x, t, k);
  // e^r = 1 + r + (r^2/2 + ... + r^10/10!), below 1e-13 relative for |r| <= ln2/2.
  return (splat(1.0) + (r + expm1Tail(r))) * pow2(t);
}

/** 2 atanh(s) = log((1 + s) / (1 - s)) for |s| <= 0.1716: 2s (1 + z/3 + ... + z^5/11), z = s^2 (remainder below 5e-11 relative). */
VMATH_INLINE d8 logRatio(d8 s) {
  const d8 z = s * s;
  d8 q = splat(1.0 / 11.0);
  q = q * z + splat(1.0 / 9.0);
  q = q * z + splat(1.0 / 7.0);
  q = q * z + splat(1.0 / 5.0);
  q = q * z + splat(1.0 / 3.0);
  return splat(2.0) * s + splat(2.0) * s * (z * q);
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
  const d8 logm = logRatio(f / (splat(2.0) + f));
  d8 r = ed * splat(6.93147180369123816490e-01) + (logm + ed * splat(1.90821492927058770002e-10));
  const d8 inf = splat(__builtin_inf());
  r = select(isPosInf(x), inf, r);
  r = select(isZero(x), -inf, r);
  r = select(x < splat(0.0), splat(__builtin_nan("")), r);
  return select(isNaN(x), x, r);
}

/** log(1 + x), accurate for small x. */
VMATH_INLINE d8 log1p(d8 x) {
  const d8 u = splat(1.0) + x;
  const d8 d = u - splat(1.0);
  d8 r = x * log(u) / d;  // Goldberg: the rounding of u cancels
  r = select(isZero(d), x, r);
  r = select(isPosInf(x), x, r);
  return r;
}

/**
 * log(1 + e) for e in [0, 1] (as e^-|x| in softplus), accurate relative to
 * the result for every e, without log's bit manipulation or log1p's
 * correction: 1 + e = 2^k (1 + f) with f = e (k = 0) or (e - 1) / 2
 * (k = 1, for e > sqrt 2 - 1; exact by Sterbenz for e >= 1/2), then
 * log(1 + f) = 2 atanh(f / (2 + f)).
 */
VMATH_INLINE d8 log1pUnit(d8 e) {
  const i8 big = e > splat(0.41421356237309503);
  const d8 f = select(big, (e - splat(1.0)) * splat(0.5), e);
  const d8 k = select(big, splat(1.0), splat(0.0));
  return k * splat(6.93147180369123816490e-01) + (logRatio(f / (splat(2.0) + f)) + k * splat(1.90821492927058770002e-10));
}

/**
 * e^x - 1, accurate for small x: with x = k ln2 + r, e^x - 1 = 2^k (r + tail(r)) + (2^k - 1),
 * where r + tail(r) = e^r - 1 carries no cancellation (one reduction, as exp).
 */
VMATH_INLINE d8 expm1(d8 x) {
  const d8 lo = splat(-708.0), hi = splat(709.0);
  d8 xc = select(x < lo, lo, x);
  xc = select(xc > hi, hi, xc);  // NaN passes both
  d8 t, k;
  const d8 r = reduceLn2(xc, t, k);
  const d8 scale = pow2(t);
  // expm1 has the sign of x: copying it keeps -0 (NaN propagates through the arithmetic).
  return copySign(scale * (r + expm1Tail(r)) + (scale - splat(1.0)), x);
}

VMATH_INLINE d8 tanh(d8 x) {
  // tanh|x| = expm1(2|x|) / (expm1(2|x|) + 2), with the sign of x; 1 from |x| = 22 on (tanh rounds to 1 in double).
  const d8 ax = absd(x);
  const d8 em = expm1(splat(2.0) * select(ax > splat(22.0), splat(22.0), ax));
  const d8 t = select(ax > splat(22.0), splat(1.0), em / (em + splat(2.0)));  // NaN gives NaN
  return copySign(t, x);
}

VMATH_INLINE d8 sigmoid(d8 x) {
  // x >= 0: 1 / (1 + e^-x); x < 0: e^x / (1 + e^x); both with e = e^-|x| <= 1.
  const d8 e = exp(-absd(x));
  return select(x >= splat(0.0), splat(1.0), e) / (splat(1.0) + e);  // NaN gives NaN through e
}

VMATH_INLINE d8 softplus(d8 x) {
  // max(x, 0) + log1p(e^-|x|), e^-|x| in (0, 1].
  const d8 pos = select(x > splat(0.0), x, splat(0.0));
  return pos + log1pUnit(exp(-absd(x)));  // NaN gives NaN through the exp
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

// ---- float32 arithmetic, sixteen lanes --------------------------------------
//
// For fused kernels whose result is a sum of many terms rounded to float32
// (the Bernoulli log-likelihood over 784 pixels): there each term needs the
// float32 precision of the unfused ops, not the double precision above, and
// sixteen float lanes do the work of eight double ones at a fraction of the
// cost. Relative error of each function a few float32 ulps.

typedef float f16 __attribute__((vector_size(64)));
typedef int n16 __attribute__((vector_size(64)));

VMATH_INLINE f16 splatf(float v) { return f16{v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v}; }
VMATH_INLINE f16 selectf(n16 mask, f16 a, f16 b) { return mask ? a : b; }
VMATH_INLINE f16 absf(f16 x) { return (f16)((n16)x & 0x7fffffff); }

/**
 * e^x in float32 for x <= 0 (the Bernoulli kernels' e^-|l|); x below -87.3
 * gives e^-87.3 (about the smallest normal float; the softplus it feeds
 * changes by less than 1e-37). Reduction x = k ln2 + r, |r| <= ln2/2, then
 * Taylor to r^7 (remainder below 5e-9 relative).
 */
VMATH_INLINE f16 expNonPositivef(f16 x) {
  x = selectf(x < splatf(-87.3f), splatf(-87.3f), x);  // NaN passes
  const f16 shift = splatf(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
  const f16 t = x * splatf(1.44269504f) + shift;
  const f16 k = t - shift;
  const f16 r = (x - k * splatf(0.693359375f)) - k * splatf(-2.12194440e-4f);
  f16 p = splatf(1.0f / 5040.0f);
  p = p * r + splatf(1.0f / 720.0f);
  p = p * r + splatf(1.0f / 120.0f);
  p = p * r + splatf(1.0f / 24.0f);
  p = p * r + splatf(1.0f / 6.0f);
  p = p * r + splatf(0.5f);
  p = p * r + splatf(1.0f);
  p = p * r + splatf(1.0f);
  const n16 ki = (n16)t - (n16)shift;  // k as an integer, in [-126, 0]
  return p * (f16)((ki + 127) << 23);
}

/** log(1 + e) for e in [0, 1] in float32: the reduction of log1pUnit, 2 atanh(s) to s^9 (|s| <= 0.1716: 2e-9 relative). */
VMATH_INLINE f16 log1pUnitf(f16 e) {
  const n16 big = e > splatf(0.41421356f);
  const f16 f = selectf(big, (e - splatf(1.0f)) * splatf(0.5f), e);
  const f16 k = selectf(big, splatf(1.0f), splatf(0.0f));
  const f16 s = f / (splatf(2.0f) + f);
  const f16 z = s * s;
  f16 q = splatf(1.0f / 9.0f);
  q = q * z + splatf(1.0f / 7.0f);
  q = q * z + splatf(1.0f / 5.0f);
  q = q * z + splatf(1.0f / 3.0f);
  return k * splatf(0.693147182f) + (splatf(2.0f) * s + splatf(2.0f) * s * (z * q));
}

VMATH_INLINE f16 loadf(const float* p) {
  f16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

VMATH_INLINE void storef(float* p, f16 v) { std::memcpy(p, &v, sizeof v); }

/** The low and high eight lanes as doubles. */
VMATH_INLINE d8 lowHalf(f16 v) {
  const f8 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
  return __builtin_convertvector(h, d8);
}
VMATH_INLINE d8 highHalf(f16 v) {
  const f8 h = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  return __builtin_convertvector(h, d8);
}

#undef VMATH_INLINE

}  // namespace vmath
}  // namespace latent
