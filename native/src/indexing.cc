// im2col/col2im and the index kernels, with the semantics of
// src/kernels/cpu/conv.ts and indexing.ts. Indices are trusted here: the
// addon checks them against the bounds before calling in.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels.h"

namespace latent {

namespace {

/** The ox range [lo, hi) for which ox*stride - pad + offset lies in [0, size). */
inline void validRange(int64_t size, int64_t out, int64_t stride, int64_t pad, int64_t offset, int64_t& lo, int64_t& hi) {
  // ceil((pad - offset) / stride) and floor((size - 1 + pad - offset) / stride) for possibly negative numerators.
  auto ceilDiv = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  auto floorDiv = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  lo = std::max<int64_t>(0, ceilDiv(pad - offset, stride));
  hi = std::min<int64_t>(out, floorDiv(size - 1 + pad - offset, stride) + 1);
  if (hi < lo) hi = lo;
}

}  // namespace

template <class T>
void im2col(const T* x, const ConvGeometry& g, T* cols) {
  const int64_t H = g.height, W = g.width, OH = g.outH, OW = g.outW, L = OH * OW;
  int64_t row = 0;
  for (int64_t nc = 0; nc < g.batch * g.channels; nc++) {
    const T* xb = x + nc * H * W;
    for (int64_t i = 0; i < g.kernelH; i++) {
      for (int64_t j = 0; j < g.kernelW; j++, row++) {
        const int64_t colOff = j * g.dilationW - g.padW;
        int64_t lo, hi;
        validRange(W, OW, g.strideW, g.padW, j * g.dilationW, lo, hi);
        for (int64_t oy = 0; oy < OH; oy++) {
          T* dst = cols + row * L + oy * OW;
          const int64_t iy = oy * g.strideH - g.padH + i * g.dilationH;
          if (iy < 0 || iy >= H) {
            std::fill(dst, dst + OW, T(0));
            continue;
          }
          const T* src = xb + iy * W + colOff;
          std::fill(dst, dst + lo, T(0));
          if (g.strideW == 1) {
            std::copy(src + lo, src + hi, dst + lo);
          } else {
            for (int64_t ox = lo; ox < hi; ox++) dst[ox] = src[ox * g.strideW];
          }
          std::fill(dst + hi, dst + OW, T(0));
        }
      }
    }
  }
}

template <class T>
void col2im(const T* cols, const ConvGeometry& g, T* x) {
  const int64_t H = g.height, W = g.width, OH = g.outH, OW = g.outW, L = OH * OW;
  int64_t row = 0;
  for (int64_t nc = 0; nc < g.batch * g.channels; nc++) {
    T* xb = x + nc * H * W;
    for (int64_t i = 0; i < g.kernelH; i++) {
      for (int64_t j = 0; j < g.kernelW; j++, row++) {
        const int64_t colOff = j * g.dilationW - g.padW;
        int64_t lo, hi;
        validRange(W, OW, g.strideW, g.padW, j * g.dilationW, lo, hi);
        for (int64_t oy = 0; oy < OH; oy++) {
          const int64_t iy = oy * g.strideH - g.padH + i * g.dilationH;
          if (iy < 0 || iy >= H) continue;
          const T* src = cols + row * L + oy * OW;
          T* dst = xb + iy * W + colOff;
          if (g.strideW == 1) {
            for (int64_t ox = lo; ox < hi; ox++) dst[ox] += src[ox];
          } else {
            for (int64_t ox = lo; ox < hi; ox++) dst[ox * g.strideW] += src[ox];
          }
        }
      }
    }
  }
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
  template void col2im<T>(const T*, const ConvGeometry&, T*);                                             \
  template void indexSelect<T>(const T*, int64_t, int64_t, int64_t, const int32_t*, int64_t, T*);         \
  template void indexAdd<T>(const T*, int64_t, int64_t, int64_t, const int32_t*, int64_t, T*);            \
  template void gather<T>(const T*, const int64_t*, int, const int32_t*, const int64_t*, int, size_t, T*); \
  template void scatterAdd<T>(const T*, const int32_t*, const int64_t*, int, T*, const int64_t*, int, size_t);
LATENT_INSTANTIATE(float)
LATENT_INSTANTIATE(double)

}  // namespace latent
