// im2col/col2im and the index kernels, with the semantics of
// src/kernels/cpu/conv.ts and indexing.ts. Indices are trusted here: the
// addon checks them against the bounds before calling in.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace latent {

namespace {

/** Element strides of cols between rows (c, i, j) and between images, for the geometry's layout. */
inline void colsStrides(const ConvGeometry& g, int64_t& rowStride, int64_t& batchStride) {
  const int64_t L = g.outH * g.outW, rows = g.channels * g.kernelH * g.kernelW;
  rowStride = g.batchInColumns ? g.batch * L : L;
  batchStride = g.batchInColumns ? L : rows * L;
}

/**
 * For each kernel tap (i, j) and output position t = oy*OW + ox, the offset
 * of the pixel it reads in an image plane padded by padH rows and padW
 * columns on each side: kh*kw*L entries shared by every image and channel.
 * Every window lies inside the padded plane (that is how outH and outW are
 * defined), so the kernels' inner loop is a plain table lookup, without a
 * bounds test.
 */
std::vector<int32_t> tapOffsets(const ConvGeometry& g) {
  const int64_t L = g.outH * g.outW, pw = g.width + 2 * g.padW;
  std::vector<int32_t> off(static_cast<size_t>(g.kernelH * g.kernelW * L));
  size_t k = 0;
  for (int64_t i = 0; i < g.kernelH; i++) {
    for (int64_t j = 0; j < g.kernelW; j++) {
      for (int64_t oy = 0; oy < g.outH; oy++) {
        for (int64_t ox = 0; ox < g.outW; ox++) {
          off[k++] = static_cast<int32_t>((oy * g.strideH + i * g.dilationH) * pw + ox * g.strideW + j * g.dilationW);
        }
      }
    }
  }
  return off;
}

/**
 * Images handled together: one at a time for [N, C*kh*kw, L] (cols is
 * written image by image); for [C*kh*kw, N, L], blocks whose padded planes
 * fit in 64 KB (they stay in cache), so that every row of cols gets the
 * block's consecutive chunks while its planes stay in cache (measured on
 * 128 images of 32 x 14 x 14: 16 KB blocks 2.7 ms, 64 KB 2.1 ms).
 */
int64_t imageBlock(const ConvGeometry& g, int64_t paddedPlane, int64_t elementSize) {
  if (!g.batchInColumns) return 1;
  return std::max<int64_t>(1, std::min<int64_t>(g.batch, (64 << 10) / std::max<int64_t>(1, paddedPlane * elementSize)));
}

/**
 * Walks the images in blocks, channel by channel: `load(n, plane)` fills the
 * padded plane of (n, c) in scratch, `tap(n, row, tapIndex, plane)` handles
 * one row (c, i, j) of cols for image n, and `store(n, plane)` (col2im)
 * writes the plane back.
 */
template <class T, class Load, class Tap, class Store>
LATENT_INLINE void walkPlanes(const ConvGeometry& g, T* scratch, int64_t paddedPlane, int64_t block, Load load, Tap tap,
                                    Store store) {
  const int64_t kk = g.kernelH * g.kernelW;
  for (int64_t n0 = 0; n0 < g.batch; n0 += block) {
    const int64_t n1 = std::min(g.batch, n0 + block);
    for (int64_t c = 0; c < g.channels; c++) {
      for (int64_t n = n0; n < n1; n++) load(n, c, scratch + (n - n0) * paddedPlane);
      for (int64_t q = 0; q < kk; q++) {
        for (int64_t n = n0; n < n1; n++) tap(n, c * kk + q, q, scratch + (n - n0) * paddedPlane);
      }
      for (int64_t n = n0; n < n1; n++) store(n, c, scratch + (n - n0) * paddedPlane);
    }
  }
}

template <class T>
LATENT_INLINE void im2colLoop(const T* x, const ConvGeometry& g, const int32_t* __restrict taps, T* scratch, T* cols) {
  const int64_t H = g.height, W = g.width, PW = W + 2 * g.padW, PH = H + 2 * g.padH, L = g.outH * g.outW;
  int64_t rowStride, batchStride;
  colsStrides(g, rowStride, batchStride);
  walkPlanes(g, scratch, PH * PW, imageBlock(g, PH * PW, sizeof(T)),
             [&](int64_t n, int64_t c, T* __restrict plane) {
               const T* src = x + (n * g.channels + c) * H * W;
               std::fill(plane, plane + g.padH * PW, T(0));
               for (int64_t y = 0; y < H; y++) {
                 T* row = plane + (y + g.padH) * PW;
                 std::fill(row, row + g.padW, T(0));
                 std::memcpy(row + g.padW, src + y * W, sizeof(T) * W);
                 std::fill(row + g.padW + W, row + PW, T(0));
               }
               std::fill(plane + (H + g.padH) * PW, plane + PH * PW, T(0));
             },
             [&](int64_t n, int64_t row, int64_t q, const T* __restrict plane) {
               const int32_t* __restrict off = taps + q * L;
               T* __restrict dst = cols + n * batchStride + row * rowStride;
               for (int64_t t = 0; t < L; t++) dst[t] = plane[off[t]];
             },
             [](int64_t, int64_t, T*) {});
}

template <class T>
LATENT_INLINE void col2imLoop(const T* cols, const ConvGeometry& g, const int32_t* __restrict taps, T* scratch, T* x, bool overwrite) {
  const int64_t H = g.height, W = g.width, PW = W + 2 * g.padW, PH = H + 2 * g.padH, L = g.outH * g.outW;
  int64_t rowStride, batchStride;
  colsStrides(g, rowStride, batchStride);
  // The plane starts from x's values (zeros with `overwrite`) and receives the taps in the order (i, j),
  // as the TypeScript kernel adds them into x: the same sums, bit for bit, in either layout.
  walkPlanes(g, scratch, PH * PW, imageBlock(g, PH * PW, sizeof(T)),
             [&](int64_t n, int64_t c, T* __restrict plane) {
               const T* src = x + (n * g.channels + c) * H * W;
               std::fill(plane, plane + PH * PW, T(0));
               if (overwrite) return;
               for (int64_t y = 0; y < H; y++) std::memcpy(plane + (y + g.padH) * PW + g.padW, src + y * W, sizeof(T) * W);
             },
             [&](int64_t n, int64_t row, int64_t q, T* __restrict plane) {
               const int32_t* __restrict off = taps + q * L;
               const T* __restrict src = cols + n * batchStride + row * rowStride;
               // The offsets of one tap are distinct (windows move by at least a pixel).
               for (int64_t t = 0; t < L; t++) plane[off[t]] += src[t];
             },
             [&](int64_t n, int64_t c, const T* __restrict plane) {
               T* dst = x + (n * g.channels + c) * H * W;
               for (int64_t y = 0; y < H; y++) std::memcpy(dst + y * W, plane + (y + g.padH) * PW + g.padW, sizeof(T) * W);
             });
}

LATENT_CLONES void im2colF32(const float* x, const ConvGeometry& g, const int32_t* taps, float* s, float* cols) { im2colLoop(x, g, taps, s, cols); }
LATENT_CLONES void im2colF64(const double* x, const ConvGeometry& g, const int32_t* taps, double* s, double* cols) { im2colLoop(x, g, taps, s, cols); }
LATENT_CLONES void col2imF32(const float* cols, const ConvGeometry& g, const int32_t* taps, float* s, float* x, bool o) { col2imLoop(cols, g, taps, s, x, o); }
LATENT_CLONES void col2imF64(const double* cols, const ConvGeometry& g, const int32_t* taps, double* s, double* x, bool o) { col2imLoop(cols, g, taps, s, x, o); }

void im2colTyped(const float* x, const ConvGeometry& g, const int32_t* taps, float* s, float* cols) { im2colF32(x, g, taps, s, cols); }
void im2colTyped(const double* x, const ConvGeometry& g, const int32_t* taps, double* s, double* cols) { im2colF64(x, g, taps, s, cols); }
void col2imTyped(const float* cols, const ConvGeometry& g, const int32_t* taps, float* s, float* x, bool o) { col2imF32(cols, g, taps, s, x, o); }
void col2imTyped(const double* cols, const ConvGeometry& g, const int32_t* taps, double* s, double* x, bool o) { col2imF64(cols, g, taps, s, x, o); }

/** The padded planes of one block of images, for the kernels' scratch. */
template <class T>
std::vector<T> planeScratch(const ConvGeometry& g) {
  const int64_t paddedPlane = (g.height + 2 * g.padH) * (g.width + 2 * g.padW);
  return std::vector<T>(static_cast<size_t>(paddedPlane * imageBlock(g, paddedPlane, sizeof(T))));
}

}  // namespace

template <class T>
void im2col(const T* x, const ConvGeometry& g, T* cols) {
  if (g.batch * g.channels * g.outH * g.outW == 0) return;
  const std::vector<int32_t> taps = tapOffsets(g);
  std::vector<T> scratch = planeScratch<T>(g);
  im2colTyped(x, g, taps.data(), scratch.data(), cols);
}

template <class T>
void col2im(const T* cols, const ConvGeometry& g, T* x, bool overwrite) {
  if (g.batch * g.channels * g.outH * g.outW == 0) return;
  const std::vector<int32_t> taps = tapOffsets(g);
  std::vector<T> scratch = planeScratch<T>(g);
  col2imTyped(cols, g, taps.data(), scratch.data(), x, overwrite);
}

template <class T>
void indexSelect(const T* x, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t m, T* out) {
  for (int64_t o = 0; o < outer; o++) {
    const T* xb = x + o * n * inner;
    T* ob = out + o * m * inner;
    for (int64_t j = 0; j < m; j++) std::memcpy(ob + j * inner, xb + idx[j] * inner, sizeof(T) * inner);
  }
}

template <class T>
void indexAdd(const T* src, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t m, T* out) {
  for (int64_t o = 0; o < outer; o++) {
    T* ob = out + o * n * inner;
    const T* sb = src + o * m * inner;
    // In order of j, so repeated indices sum in the TypeScript kernel's order.
    for (int64_t j = 0; j < m; j++) {
      T* __restrict d = ob + idx[j] * inner;
      const T* __restrict s = sb + j * inner;
      for (int64_t i = 0; i < inner; i++) d[i] += s[i];
    }
  }
}

namespace {

/** Row-major strides of shape with the axis's stride moved out (see walkStrides in indexing.ts). */
void walkStrides(const int64_t* shape, int rank, int axis, int64_t* walk, int64_t& axisStride) {
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    walk[d] = s;
    s *= shape[d];
  }
  axisStride = walk[axis];
  walk[axis] = 0;
}

}  // namespace

template <class T>
void gather(const T* x, const int64_t* xShape, int axis, const int32_t* index, const int64_t* indexShape, int rank,
            size_t count, T* out) {
  if (count == 0) return;
  int64_t walk[64], idx[64] = {0}, axisStride;
  walkStrides(xShape, rank, axis, walk, axisStride);
  const int64_t inner = indexShape[rank - 1], si = walk[rank - 1];
  int64_t off = 0;
  for (size_t o = 0; o < count; o += inner) {
    for (int64_t j = 0; j < inner; j++) out[o + j] = x[off + j * si + index[o + j] * axisStride];
    for (int d = rank - 2; d >= 0; d--) {
      idx[d]++;
      off += walk[d];
      if (idx[d] < indexShape[d]) break;
      off -= walk[d] * indexShape[d];
      idx[d] = 0;
    }
  }
}

template <class T>
void scatterAdd(const T* src, const int32_t* index, const int64_t* indexShape, int axis, T* out, const int64_t* outShape,
                int rank, size_t count) {
  if (count == 0) return;
  int64_t walk[64], idx[64] = {0}, axisStride;
  walkStrides(outShape, rank, axis, walk, axisStride);
  const int64_t inner = indexShape[rank - 1], si = walk[rank - 1];
  int64_t off = 0;
  for (size_t o = 0; o < count; o += inner) {
    for (int64_t j = 0; j < inner; j++) out[off + j * si + index[o + j] * axisStride] += src[o + j];
    for (int d = rank - 2; d >= 0; d--) {
      idx[d]++;
      off += walk[d];
      if (idx[d] < indexShape[d]) break;
      off -= walk[d] * indexShape[d];
      idx[d] = 0;
    }
  }
}

#define LATENT_INSTANTIATE(T)                                                                             \
  template void im2col<T>(const T*, const ConvGeometry&, T*);                                             \
  template void col2im<T>(const T*, const ConvGeometry&, T*, bool);                                       \
  template void indexSelect<T>(const T*, int64_t, int64_t, int64_t, const int32_t*, int64_t, T*);         \
  template void indexAdd<T>(const T*, int64_t, int64_t, int64_t, const int32_t*, int64_t, T*);            \
  template void gather<T>(const T*, const int64_t*, int, const int32_t*, const int64_t*, int, size_t, T*); \
  template void scatterAdd<T>(const T*, const int32_t*, const int64_t*, int, T*, const int64_t*, int, size_t);
LATENT_INSTANTIATE(float)
LATENT_INSTANTIATE(double)

}  // namespace latent
