// Declarations of the native kernels. Each works on raw contiguous arrays
// with the semantics of the TypeScript kernel of the same name
// (src/kernels/cpu/*.ts), which is the reference.
#pragma once

#include <cstddef>
#include <cstdint>

// Hot loops are compiled three times (AVX-512, AVX2, baseline x86-64) and
// the loader picks one for the CPU at run time; LATENT_NO_CLONES turns that off.
#if defined(LATENT_NO_CLONES)
#define LATENT_CLONES
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LATENT_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LATENT_CLONES
#endif
#define LATENT_INLINE inline __attribute__((always_inline))

namespace latent {

// ---- instruction set ----------------------------------------------------

enum class Isa { scalar = 0, avx2 = 1, avx512 = 2 };

/** The best instruction set this CPU supports (AVX2 means AVX2 + FMA; AVX-512 means F, BW, DQ and VL). */
Isa detectedIsa();
/** The instruction set GEMM dispatches to: the detected one unless lowered by setIsa or LATENT_ISA. */
Isa activeIsa();
/** Lowers (never raises above what the CPU has) the GEMM instruction set; returns the one in effect. */
Isa setIsa(Isa isa);
const char* isaName(Isa isa);

// ---- threads ------------------------------------------------------------

/** Worker count for GEMM: LATENT_THREADS (default 1), read once. */
int threadCount();
/**
 * Runs task(i) for i in [0, tasks) on up to threadCount() threads and
 * returns when all are done. Each task must write a region of memory no
 * other task touches, so the result never depends on the thread count.
 */
void parallelFor(int tasks, void (*task)(void* ctx, int i), void* ctx);

// ---- GEMM ---------------------------------------------------------------

/**
 * C (m x n, row-major, contiguous) = op(A) op(B), or += with `accumulate`.
 * op(A) is m x k (A stored k x m when transA), op(B) is k x n (B stored
 * n x k when transB). Pointers are already offset.
 */
template <class T>
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
          const T* a, const T* b, T* c, bool accumulate);

// ---- elementwise --------------------------------------------------------

enum class UnaryOp {
  neg, exp, log, log1p, expm1, sqrt, abs, sign, tanh, sigmoid, softplus,
  relu, step, reciprocal, square, count
};
enum class BinaryOp { add, sub, mul, div, pow, maximum, minimum, eq, ne, gt, ge, lt, le, count };
enum class ReduceOp { sum, max, min, logsumexp, count };

template <class T> void unary(UnaryOp op, const T* x, T* out, size_t n);
/** Same length, or a or b of length 1 (na/nb give the lengths; n is the output's). */
template <class T> void binarySimple(BinaryOp op, const T* a, size_t na, const T* b, size_t nb, T* out, size_t n);
/** a has the output's length and b repeats with period nb (or, with bRepeats false, the other way round). */
template <class T> void binaryRepeat(BinaryOp op, const T* a, size_t na, const T* b, size_t nb, T* out, size_t n, bool bRepeats);
/** General broadcasting: element strides of a and b over the output shape (0 on broadcast axes). */
template <class T> void binaryStrided(BinaryOp op, const T* a, const int64_t* sa, const T* b, const int64_t* sb,
                                      T* out, const int64_t* shape, int rank, size_t n);
template <class T> void clamp(const T* x, double lo, double hi, T* out, size_t n);
template <class T, class C> void where(const C* cond, const T* a, const T* b, T* out, size_t n);
template <class T> void reduce(ReduceOp op, const T* x, int64_t outer, int64_t n, int64_t inner, T* out);
template <class T> void stridedCopy(const T* x, int64_t offset, const int64_t* strides, T* out, const int64_t* shape, int rank, size_t n);
template <class T> void stridedAssign(const T* src, T* out, int64_t offset, const int64_t* strides, const int64_t* shape, int rank, size_t n);

// ---- convolution and indexing -------------------------------------------

struct ConvGeometry {
  int64_t batch, channels, height, width, kernelH, kernelW;
  int64_t strideH, strideW, padH, padW, dilationH, dilationW, outH, outW;
  /** cols is [C*kh*kw, N, outH*outW] instead of [N, C*kh*kw, outH*outW]. */
  bool batchInColumns = false;
};

template <class T> void im2col(const T* x, const ConvGeometry& g, T* cols);
/** x (+)= col2im(cols); with overwrite, x's prior contents are ignored (as zeros). */
template <class T> void col2im(const T* cols, const ConvGeometry& g, T* x, bool overwrite);
template <class T> void indexSelect(const T* x, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t m, T* out);
template <class T> void indexAdd(const T* src, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t m, T* out);
template <class T> void gather(const T* x, const int64_t* xShape, int axis, const int32_t* index, const int64_t* indexShape, int rank, size_t count, T* out);
template <class T> void scatterAdd(const T* src, const int32_t* index, const int64_t* indexShape, int axis, T* out, const int64_t* outShape, int rank, size_t count);

// ---- fused kernels (fused.cc) ---------------------------------------------

enum class Activation { identity, relu, tanh, sigmoid, count };

/** out = act(x + bias[k]) over x viewed as [outer, channels, inner] (no bias: act(x)); the sum is rounded to T before act; out may be x. */
template <class T> void biasActivation(Activation act, const T* x, const T* bias, int64_t outer, int64_t channels, int64_t inner, T* out);
/** out = g * act'(x) from y = act(x): relu g (y > 0), tanh g (1 - y y), sigmoid g (y (1 - y)), identity g; each op in T. */
template <class T> void activationGrad(Activation act, const T* g, const T* y, T* out, size_t n);
/** out[r] = sum_j x l - softplus(l) in double over logits l [rows, cols]; x is [rows, cols] or one row repeated; sig (optional) = sigmoid(l). */
template <class T> void bernoulliLogits(const T* x, bool xRepeats, const T* l, int64_t rows, int64_t cols, T* out, T* sig);
/** out[r, j] = g[r] (x - sigmoid(l)) in double, rounded once; sigmoid read from sig when not null. */
template <class T> void bernoulliLogitsGrad(const T* g, const T* x, bool xRepeats, const T* l, const T* sig, int64_t rows,
                                            int64_t cols, T* out);
/** out[r] = -1/2 sum_j (1 + lv - mu^2 - exp(lv)) in double. */
template <class T> void gaussianKL(const T* mu, const T* logvar, int64_t rows, int64_t cols, T* out);

/** The scalars of one Adam step (see src/kernels/registry.ts, adamStep). */
struct AdamScalars {
  double stepSize, beta1, beta2, bc2Sqrt, eps, l2, shrink;
  bool maximize;
};
/** One Adam/AdamW step in place over n entries; vmax null unless amsgrad. */
template <class T> void adamStep(T* p, const T* g, T* m, T* v, T* vmax, const AdamScalars& s, size_t n);

// ---- rational-quadratic splines (spline.cc) --------------------------------

/** The shape constants of one spline call (see src/kernels/cpu/spline.ts, SplineShape). */
struct SplineShape {
  int64_t count, bins;
  double tailBound, minBinWidth, minBinHeight, minDerivative;
  bool inverse;
};
/** value, logDet [count] of row i's spline (or its inverse) at x[i] from widths, heights [count, bins] and derivatives [count, bins - 1]. */
template <class T> void rqSpline(const T* x, const T* uw, const T* uh, const T* ud, const SplineShape& sh, T* value, T* logDet);
/** The gradient of sum(gValue value + gLogDet logDet) of rqSpline with respect to x and the three parameter sets (overwritten). */
template <class T> void rqSplineGrad(const T* x, const T* uw, const T* uh, const T* ud, const SplineShape& sh, const T* gValue,
                                     const T* gLogDet, T* gx, T* guw, T* guh, T* gud);

// ---- random (random.cc) ----------------------------------------------------

/** out[4b .. 4b + 3] = Philox4x32-10 of counter (firstBlock + b: low, high, 0, 0) under key (key0, key1), for b < blocks. */
void philox(uint32_t key0, uint32_t key1, uint64_t firstBlock, uint32_t* out, uint64_t blocks);

/** Standard normals by Box–Muller: out[2i], out[2i + 1] from words[4i .. 4i + 3], as src/kernels/cpu/normal.ts computes them, bit for bit. */
void boxMuller32(const uint32_t* words, float* out, uint64_t n);

}  // namespace latent
