// The Node-API surface of the native kernels. Each exported function has the
// name and the argument list of a kernel of the `Kernels` interface
// (src/kernels/registry.ts), so src/kernels/native.ts registers them as they
// are. Arrays are used in place (napi_get_typedarray_info gives the caller's
// memory; nothing is copied between JavaScript and C++). Arguments are
// checked before any memory is touched: a wrong type is a TypeError, a size
// or index that would reach outside an array is a RangeError, never a crash.
// A call mixing float32 and float64 arrays (which the ops never make, except
// for where's condition, handled here) is passed to the TypeScript kernel
// registered through setFallbacks.
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "kernels.h"

namespace latent {
namespace {

constexpr int kMaxRank = 64;
constexpr int kMaxArgs = 16;

enum Kernel { kUnary, kBinary, kClamp, kWhere, kReduce, kGemm, kStridedCopy, kStridedAssign, kIm2col, kCol2im,
              kIndexSelect, kIndexAdd, kGather, kScatterAdd, kBiasActivation, kActivationGrad, kBernoulliLogits,
              kBernoulliLogitsGrad, kGaussianKL, kAdamStep, kPhilox, kBoxMuller32, kRqSpline, kRqSplineGrad, kKernelCount };
const char* const kKernelNames[kKernelCount] = {"unary", "binary", "clamp", "where", "reduce", "gemm", "stridedCopy",
                                                "stridedAssign", "im2col", "col2im", "indexSelect", "indexAdd",
                                                "gather", "scatterAdd", "biasActivation", "activationGrad",
                                                "bernoulliLogits", "bernoulliLogitsGrad", "gaussianKL", "adamStep",
                                                "philox", "boxMuller32", "rqSpline", "rqSplineGrad"};

/** Per-environment state (one per main thread or worker): the TypeScript fallbacks. */
struct Instance {
  napi_ref fallback[kKernelCount] = {};
};

/** One call's arguments and the kernel's name, for messages. */
struct Call {
  napi_env env;
  napi_value self;
  napi_value argv[kMaxArgs];
  size_t argc = kMaxArgs;
  Kernel kernel;
  bool failed = false;

  Call(napi_env e, napi_callback_info info, Kernel k, size_t expected) : env(e), kernel(k) {
    if (napi_get_cb_info(env, info, &argc, argv, &self, nullptr) != napi_ok) {
      fail("TypeError", "could not read the arguments");
    } else if (argc < expected) {
      char msg[128];
      std::snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", expected, argc);
      fail("TypeError", msg);
    }
  }

  /** Throws a JavaScript error of `kind` naming the kernel; returns false for `return c.fail(...)` chains. */
  bool fail(const char* kind, const char* message) {
    if (failed) return false;
    failed = true;
    char full[512];
    std::snprintf(full, sizeof full, "latent native kernel '%s': %s", kKernelNames[kernel], message);
    if (std::strcmp(kind, "RangeError") == 0) napi_throw_range_error(env, nullptr, full);
    else napi_throw_type_error(env, nullptr, full);
    return false;
  }

  bool failf(const char* kind, const char* fmt, const char* name) {
    char msg[256];
    std::snprintf(msg, sizeof msg, fmt, name);
    return fail(kind, msg);
  }
};

enum class DType { f32, f64, i32, other };

struct Array {
  DType dtype = DType::other;
  void* data = nullptr;
  size_t length = 0;
};

bool typedArray(Call& c, size_t i, Array& out, const char* name) {
  if (c.failed) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(c.env, c.argv[i], &type, &out.length, &out.data, &buffer, &offset) != napi_ok) {
    return c.failf("TypeError", "%s must be a typed array", name);
  }
  out.dtype = type == napi_float32_array ? DType::f32
            : type == napi_float64_array ? DType::f64
            : type == napi_int32_array   ? DType::i32
                                         : DType::other;
  return true;
}

bool floatArray(Call& c, size_t i, Array& out, const char* name) {
  if (!typedArray(c, i, out, name)) return false;
  if (out.dtype != DType::f32 && out.dtype != DType::f64) {
    return c.failf("TypeError", "%s must be a Float32Array or a Float64Array", name);
  }
  return true;
}

bool intArray(Call& c, size_t i, Array& out, const char* name) {
  if (!typedArray(c, i, out, name)) return false;
  if (out.dtype != DType::i32) return c.failf("TypeError", "%s must be an Int32Array", name);
  return true;
}

bool number(Call& c, napi_value v, double& out, const char* name) {
  if (c.failed) return false;
  if (napi_get_value_double(c.env, v, &out) != napi_ok) return c.failf("TypeError", "%s must be a number", name);
  return true;
}

/** An integer in [lo, 2^52]. */
bool integer(Call& c, napi_value v, int64_t& out, const char* name, int64_t lo = 0) {
  double d;
  if (!number(c, v, d, name)) return false;
  if (!(d == std::floor(d)) || d < static_cast<double>(lo) || d > 4503599627370496.0) {
    return c.failf("RangeError", lo == 0 ? "%s must be a non-negative integer" : "%s must be an integer in range", name);
  }
  out = static_cast<int64_t>(d);
  return true;
}

bool boolean(Call& c, size_t i, bool& out, const char* name) {
  if (c.failed) return false;
  if (napi_get_value_bool(c.env, c.argv[i], &out) != napi_ok) return c.failf("TypeError", "%s must be a boolean", name);
  return true;
}

/** A list of integers (shape or strides) into out[0..rank). */
bool intList(Call& c, size_t i, int64_t* out, int& rank, const char* name, int64_t lo = 0) {
  if (c.failed) return false;
  bool isArray = false;
  uint32_t len = 0;
  if (napi_is_array(c.env, c.argv[i], &isArray) != napi_ok || !isArray ||
      napi_get_array_length(c.env, c.argv[i], &len) != napi_ok) {
    return c.failf("TypeError", "%s must be an array of integers", name);
  }
  if (len > kMaxRank) return c.failf("RangeError", "%s has more than 64 dimensions", name);
  for (uint32_t d = 0; d < len; d++) {
    napi_value v;
    if (napi_get_element(c.env, c.argv[i], d, &v) != napi_ok) return c.failf("TypeError", "%s must be an array of integers", name);
    if (!integer(c, v, out[d], name, lo)) return false;
  }
  rank = static_cast<int>(len);
  return true;
}

bool string(Call& c, size_t i, char* out, size_t size, const char* name) {
  if (c.failed) return false;
  size_t len;
  if (napi_get_value_string_utf8(c.env, c.argv[i], out, size, &len) != napi_ok) {
    return c.failf("TypeError", "%s must be a string", name);
  }
  return true;
}

int64_t product(const int64_t* shape, int rank) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= shape[d];
  return n;
}

/** Calls the TypeScript kernel with the same arguments (for mixed float32/float64 calls). */
napi_value fallback(Call& c) {
  Instance* inst = nullptr;
  napi_value fn = nullptr;
  if (napi_get_instance_data(c.env, reinterpret_cast<void**>(&inst)) != napi_ok || !inst || !inst->fallback[c.kernel] ||
      napi_get_reference_value(c.env, inst->fallback[c.kernel], &fn) != napi_ok || !fn) {
    c.fail("TypeError", "its arrays mix float32 and float64 and no TypeScript fallback is registered");
    return nullptr;
  }
  napi_value result = nullptr;
  napi_call_function(c.env, c.self, fn, c.argc, c.argv, &result);
  return result;
}

bool sameDtype(const Array& a, const Array& b) { return a.dtype == b.dtype; }

#define F32(arr) static_cast<float*>((arr).data)
#define F64(arr) static_cast<double*>((arr).data)

// ---- gemm -----------------------------------------------------------------

napi_value Gemm(napi_env env, napi_callback_info info) {
  Call c(env, info, kGemm, 12);
  bool transA, transB, accumulate;
  int64_t m, n, k, aOff, bOff, cOff;
  Array a, b, cc;
  if (!boolean(c, 0, transA, "transA") || !boolean(c, 1, transB, "transB") || !integer(c, c.argv[2], m, "m") ||
      !integer(c, c.argv[3], n, "n") || !integer(c, c.argv[4], k, "k") || !floatArray(c, 5, a, "a") ||
      !integer(c, c.argv[6], aOff, "aOffset") || !floatArray(c, 7, b, "b") || !integer(c, c.argv[8], bOff, "bOffset") ||
      !floatArray(c, 9, cc, "c") || !integer(c, c.argv[10], cOff, "cOffset") || !boolean(c, 11, accumulate, "accumulate")) {
    return nullptr;
  }
  if (!sameDtype(a, b) || !sameDtype(a, cc)) return fallback(c);
  if (static_cast<uint64_t>(aOff + m * k) > a.length) return c.fail("RangeError", "a is too short for m x k at aOffset"), nullptr;
  if (static_cast<uint64_t>(bOff + k * n) > b.length) return c.fail("RangeError", "b is too short for k x n at bOffset"), nullptr;
  if (static_cast<uint64_t>(cOff + m * n) > cc.length) return c.fail("RangeError", "c is too short for m x n at cOffset"), nullptr;
  if (a.dtype == DType::f32) gemm<float>(transA, transB, m, n, k, F32(a) + aOff, F32(b) + bOff, F32(cc) + cOff, accumulate);
  else gemm<double>(transA, transB, m, n, k, F64(a) + aOff, F64(b) + bOff, F64(cc) + cOff, accumulate);
  return nullptr;
}

// ---- elementwise --------------------------------------------------------

const char* const kUnaryNames[] = {"neg", "exp", "log", "log1p", "expm1", "sqrt", "abs", "sign", "tanh", "sigmoid",
                                   "softplus", "relu", "step", "reciprocal", "square"};
const char* const kBinaryNames[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                    "eq", "ne", "gt", "ge", "lt", "le"};
const char* const kReduceNames[] = {"sum", "max", "min", "logsumexp"};

template <class E, size_t N>
bool opCode(Call& c, size_t i, const char* const (&names)[N], E& out) {
  char buf[24];
  if (!string(c, i, buf, sizeof buf, "op")) return false;
  for (size_t j = 0; j < N; j++) {
    if (std::strcmp(buf, names[j]) == 0) {
      out = static_cast<E>(j);
      return true;
    }
  }
  return c.failf("TypeError", "unknown op '%s'", buf);
}

napi_value Unary(napi_env env, napi_callback_info info) {
  Call c(env, info, kUnary, 3);
  UnaryOp op;
  Array x, out;
  if (!opCode(c, 0, kUnaryNames, op) || !floatArray(c, 1, x, "x") || !floatArray(c, 2, out, "out")) return nullptr;
  if (!sameDtype(x, out)) return fallback(c);
  if (x.length < out.length) return c.fail("RangeError", "x is shorter than out"), nullptr;
  if (x.dtype == DType::f32) unary(op, F32(x), F32(out), out.length);
  else unary(op, F64(x), F64(out), out.length);
  return nullptr;
}

/** True when `s`, without leading ones, equals the trailing dimensions of `out`: then s repeats with period size(s). */
bool isSuffix(const int64_t* s, int rs, const int64_t* out, int ro) {
  int start = 0;
  while (start < rs && s[start] == 1) start++;
  const int k = rs - start;
  if (k > ro) return false;
  for (int i = 0; i < k; i++) {
    if (s[start + i] != out[ro - k + i]) return false;
  }
  return true;
}

/** Element strides of `shape` broadcast to `out` (right-aligned), 0 on broadcast axes; false if it does not broadcast. */
bool broadcastStrides(const int64_t* shape, int rank, const int64_t* out, int ro, int64_t* strides) {
  if (rank > ro) return false;
  int64_t s = 1;
  for (int d = ro - 1; d >= 0; d--) {
    const int sd = d - (ro - rank);
    const int64_t dim = sd >= 0 ? shape[sd] : 1;
    if (dim != 1 && dim != out[d]) return false;
    strides[d] = dim == 1 ? 0 : s;
    s *= dim;
  }
  return true;
}

template <class T>
void binaryTyped(BinaryOp op, const Array& a, const int64_t* aShape, int ra, const Array& b, const int64_t* bShape, int rb,
                 const Array& out, const int64_t* outShape, int ro, int64_t* sa, int64_t* sb) {
  const T* pa = static_cast<const T*>(a.data);
  const T* pb = static_cast<const T*>(b.data);
  T* po = static_cast<T*>(out.data);
  const size_t n = out.length;
  if ((a.length == n || a.length == 1) && (b.length == n || b.length == 1) && !(a.length == 1 && b.length == 1 && n > 1)) {
    binarySimple(op, pa, a.length, pb, b.length, po, n);
  } else if (a.length == n && isSuffix(bShape, rb, outShape, ro)) {
    binaryRepeat(op, pa, a.length, pb, b.length, po, n, true);
  } else if (b.length == n && isSuffix(aShape, ra, outShape, ro)) {
    binaryRepeat(op, pa, a.length, pb, b.length, po, n, false);
  } else {
    binaryStrided(op, pa, sa, pb, sb, po, outShape, ro, n);
  }
}

napi_value Binary(napi_env env, napi_callback_info info) {
  Call c(env, info, kBinary, 7);
  BinaryOp op;
  Array a, b, out;
  int64_t aShape[kMaxRank], bShape[kMaxRank], outShape[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  int ra = 0, rb = 0, ro = 0;
  if (!opCode(c, 0, kBinaryNames, op) || !floatArray(c, 1, a, "a") || !floatArray(c, 3, b, "b") ||
      !floatArray(c, 5, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(a, b) || !sameDtype(a, out)) return fallback(c);
  const size_t n = out.length;
  if (n == 0) return nullptr;
  const bool same = a.length == n && b.length == n;
  const bool scalar = (a.length == n && b.length == 1) || (a.length == 1 && b.length == n);
  if (!same && !scalar) {
    // Broadcasting: the shapes decide the walk, so they are checked against the arrays first.
    if (!intList(c, 2, aShape, ra, "aShape") || !intList(c, 4, bShape, rb, "bShape") ||
        !intList(c, 6, outShape, ro, "outShape")) {
      return nullptr;
    }
    if (static_cast<size_t>(product(aShape, ra)) != a.length || static_cast<size_t>(product(bShape, rb)) != b.length ||
        static_cast<size_t>(product(outShape, ro)) != n) {
      return c.fail("RangeError", "array lengths do not match aShape, bShape and outShape"), nullptr;
    }
    if (ro == 0 || !broadcastStrides(aShape, ra, outShape, ro, sa) || !broadcastStrides(bShape, rb, outShape, ro, sb)) {
      return c.fail("RangeError", "aShape and bShape do not broadcast to outShape"), nullptr;
    }
  }
  if (a.dtype == DType::f32) binaryTyped<float>(op, a, aShape, ra, b, bShape, rb, out, outShape, ro, sa, sb);
  else binaryTyped<double>(op, a, aShape, ra, b, bShape, rb, out, outShape, ro, sa, sb);
  return nullptr;
}

napi_value Clamp(napi_env env, napi_callback_info info) {
  Call c(env, info, kClamp, 4);
  Array x, out;
  double lo, hi;
  if (!floatArray(c, 0, x, "x") || !number(c, c.argv[1], lo, "lo") || !number(c, c.argv[2], hi, "hi") ||
      !floatArray(c, 3, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(x, out)) return fallback(c);
  if (out.length < x.length) return c.fail("RangeError", "out is shorter than x"), nullptr;
  if (x.dtype == DType::f32) clamp(F32(x), lo, hi, F32(out), x.length);
  else clamp(F64(x), lo, hi, F64(out), x.length);
  return nullptr;
}

napi_value Where(napi_env env, napi_callback_info info) {
  Call c(env, info, kWhere, 4);
  Array cond, a, b, out;
  if (!floatArray(c, 0, cond, "cond") || !floatArray(c, 1, a, "a") || !floatArray(c, 2, b, "b") ||
      !floatArray(c, 3, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(a, b) || !sameDtype(a, out)) return fallback(c);
  const size_t n = out.length;
  if (cond.length < n || a.length < n || b.length < n) return c.fail("RangeError", "cond, a and b must be as long as out"), nullptr;
  if (a.dtype == DType::f32) {
    if (cond.dtype == DType::f32) where<float, float>(F32(cond), F32(a), F32(b), F32(out), n);
    else where<float, double>(F64(cond), F32(a), F32(b), F32(out), n);
  } else {
    if (cond.dtype == DType::f64) where<double, double>(F64(cond), F64(a), F64(b), F64(out), n);
    else where<double, float>(F32(cond), F64(a), F64(b), F64(out), n);
  }
  return nullptr;
}

napi_value Reduce(napi_env env, napi_callback_info info) {
  Call c(env, info, kReduce, 6);
  ReduceOp op;
  Array x, out;
  int64_t outer, n, inner;
  if (!opCode(c, 0, kReduceNames, op) || !floatArray(c, 1, x, "x") || !integer(c, c.argv[2], outer, "outer") ||
      !integer(c, c.argv[3], n, "n") || !integer(c, c.argv[4], inner, "inner") || !floatArray(c, 5, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(x, out)) return fallback(c);
  if (static_cast<uint64_t>(outer * n * inner) > x.length || static_cast<uint64_t>(outer * inner) > out.length) {
    return c.fail("RangeError", "x must hold outer*n*inner and out outer*inner values"), nullptr;
  }
  if (x.dtype == DType::f32) reduce(op, F32(x), outer, n, inner, F32(out));
  else reduce(op, F64(x), outer, n, inner, F64(out));
  return nullptr;
}

/** True when every position offset + sum idx[d] * strides[d] (0 <= idx[d] < shape[d]) lies in [0, length). */
bool stridedInBounds(int64_t offset, const int64_t* strides, const int64_t* shape, int rank, size_t length) {
  int64_t lo = offset, hi = offset;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return true;  // nothing is touched
    const int64_t span = strides[d] * (shape[d] - 1);
    if (span < 0) lo += span;
    else hi += span;
  }
  return lo >= 0 && static_cast<uint64_t>(hi) < length;
}

napi_value StridedCopy(napi_env env, napi_callback_info info) {
  Call c(env, info, kStridedCopy, 5);
  Array x, out;
  int64_t offset, strides[kMaxRank], shape[kMaxRank];
  int rs = 0, rank = 0;
  if (!floatArray(c, 0, x, "x") || !integer(c, c.argv[1], offset, "offset") ||
      !intList(c, 2, strides, rs, "strides", -4503599627370496LL) || !floatArray(c, 3, out, "out") ||
      !intList(c, 4, shape, rank, "outShape")) {
    return nullptr;
  }
  if (!sameDtype(x, out)) return fallback(c);
  if (out.length == 0) return nullptr;
  if (rs != rank) return c.fail("RangeError", "strides and outShape must have the same length"), nullptr;
  if (static_cast<size_t>(product(shape, rank)) != out.length) return c.fail("RangeError", "out's length is not the size of outShape"), nullptr;
  if (!stridedInBounds(offset, strides, shape, rank, x.length)) {
    return c.fail("RangeError", "offset and strides reach outside x"), nullptr;
  }
  if (x.dtype == DType::f32) stridedCopy(F32(x), offset, strides, F32(out), shape, rank, out.length);
  else stridedCopy(F64(x), offset, strides, F64(out), shape, rank, out.length);
  return nullptr;
}

napi_value StridedAssign(napi_env env, napi_callback_info info) {
  Call c(env, info, kStridedAssign, 5);
  Array src, out;
  int64_t offset, strides[kMaxRank], shape[kMaxRank];
  int rs = 0, rank = 0;
  if (!floatArray(c, 0, src, "src") || !floatArray(c, 1, out, "out") || !integer(c, c.argv[2], offset, "offset") ||
      !intList(c, 3, strides, rs, "strides", -4503599627370496LL) || !intList(c, 4, shape, rank, "shape")) {
    return nullptr;
  }
  if (!sameDtype(src, out)) return fallback(c);
  if (src.length == 0) return nullptr;
  if (rs != rank) return c.fail("RangeError", "strides and shape must have the same length"), nullptr;
  if (static_cast<size_t>(product(shape, rank)) != src.length) return c.fail("RangeError", "src's length is not the size of shape"), nullptr;
  if (!stridedInBounds(offset, strides, shape, rank, out.length)) {
    return c.fail("RangeError", "offset and strides reach outside out"), nullptr;
  }
  if (src.dtype == DType::f32) stridedAssign(F32(src), F32(out), offset, strides, shape, rank, src.length);
  else stridedAssign(F64(src), F64(out), offset, strides, shape, rank, src.length);
  return nullptr;
}

// ---- convolution --------------------------------------------------------

bool geometry(Call& c, size_t i, ConvGeometry& g) {
  if (c.failed) return false;
  struct Field { const char* name; int64_t* dst; int64_t lo; };
  const Field fields[] = {
      {"batch", &g.batch, 0},        {"channels", &g.channels, 0},   {"height", &g.height, 0},
      {"width", &g.width, 0},        {"kernelH", &g.kernelH, 1},     {"kernelW", &g.kernelW, 1},
      {"strideH", &g.strideH, 1},    {"strideW", &g.strideW, 1},     {"padH", &g.padH, 0},
      {"padW", &g.padW, 0},          {"dilationH", &g.dilationH, 1}, {"dilationW", &g.dilationW, 1},
      {"outH", &g.outH, 0},          {"outW", &g.outW, 0},
  };
  for (const Field& f : fields) {
    napi_value v;
    if (napi_get_named_property(c.env, c.argv[i], f.name, &v) != napi_ok) {
      return c.failf("TypeError", "geometry.%s is missing", f.name);
    }
    char name[40];
    std::snprintf(name, sizeof name, "geometry.%s", f.name);
    if (!integer(c, v, *f.dst, name, f.lo)) return false;
  }
  // Optional: the layout of the columns (absent or false: [N, C*kh*kw, L]).
  bool has = false;
  g.batchInColumns = false;
  if (napi_has_named_property(c.env, c.argv[i], "batchInColumns", &has) == napi_ok && has) {
    napi_value v;
    napi_valuetype t;
    if (napi_get_named_property(c.env, c.argv[i], "batchInColumns", &v) != napi_ok || napi_typeof(c.env, v, &t) != napi_ok) {
      return c.fail("TypeError", "geometry.batchInColumns could not be read");
    }
    if (t == napi_boolean) napi_get_value_bool(c.env, v, &g.batchInColumns);
    else if (t != napi_undefined) return c.fail("TypeError", "geometry.batchInColumns must be a boolean");
  }
  // The kernels address a padded image plane with 32-bit offsets.
  if ((g.height + 2 * g.padH) * (g.width + 2 * g.padW) > 2147483647LL) {
    return c.fail("RangeError", "the padded image plane has more than 2^31 - 1 pixels");
  }
  return true;
}

napi_value Im2col(napi_env env, napi_callback_info info) {
  Call c(env, info, kIm2col, 3);
  Array x, cols;
  ConvGeometry g;
  if (!floatArray(c, 0, x, "x") || !geometry(c, 1, g) || !floatArray(c, 2, cols, "cols")) return nullptr;
  if (!sameDtype(x, cols)) return fallback(c);
  if (static_cast<uint64_t>(g.batch * g.channels * g.height * g.width) > x.length ||
      static_cast<uint64_t>(g.batch * g.channels * g.kernelH * g.kernelW * g.outH * g.outW) > cols.length) {
    return c.fail("RangeError", "x or cols is too short for the geometry"), nullptr;
  }
  if (x.dtype == DType::f32) im2col(F32(x), g, F32(cols));
  else im2col(F64(x), g, F64(cols));
  return nullptr;
}

napi_value Col2im(napi_env env, napi_callback_info info) {
  Call c(env, info, kCol2im, 3);
  Array cols, x;
  ConvGeometry g;
  bool overwrite = false;
  if (!floatArray(c, 0, cols, "cols") || !geometry(c, 1, g) || !floatArray(c, 2, x, "x")) return nullptr;
  if (c.argc > 3) {
    napi_valuetype t;
    if (napi_typeof(env, c.argv[3], &t) == napi_ok && t != napi_undefined && !boolean(c, 3, overwrite, "overwrite")) return nullptr;
  }
  if (!sameDtype(x, cols)) return fallback(c);
  if (static_cast<uint64_t>(g.batch * g.channels * g.height * g.width) > x.length ||
      static_cast<uint64_t>(g.batch * g.channels * g.kernelH * g.kernelW * g.outH * g.outW) > cols.length) {
    return c.fail("RangeError", "x or cols is too short for the geometry"), nullptr;
  }
  if (x.dtype == DType::f32) col2im(F32(cols), g, F32(x), overwrite);
  else col2im(F64(cols), g, F64(x), overwrite);
  return nullptr;
}

// ---- indexing -----------------------------------------------------------

bool indicesBelow(Call& c, const Array& idx, int64_t bound, const char* name) {
  const int32_t* p = static_cast<const int32_t*>(idx.data);
  for (size_t i = 0; i < idx.length; i++) {
    if (p[i] < 0 || p[i] >= bound) return c.failf("RangeError", "%s holds a value out of range", name);
  }
  return true;
}

napi_value IndexSelect(napi_env env, napi_callback_info info) {
  Call c(env, info, kIndexSelect, 6);
  Array x, idx, out;
  int64_t outer, n, inner;
  if (!floatArray(c, 0, x, "x") || !integer(c, c.argv[1], outer, "outer") || !integer(c, c.argv[2], n, "n") ||
      !integer(c, c.argv[3], inner, "inner") || !intArray(c, 4, idx, "indices") || !floatArray(c, 5, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(x, out)) return fallback(c);
  const int64_t m = static_cast<int64_t>(idx.length);
  if (static_cast<uint64_t>(outer * n * inner) > x.length || static_cast<uint64_t>(outer * m * inner) > out.length) {
    return c.fail("RangeError", "x must hold outer*n*inner and out outer*m*inner values"), nullptr;
  }
  if (outer * inner > 0 && !indicesBelow(c, idx, n, "indices")) return nullptr;
  if (x.dtype == DType::f32) indexSelect(F32(x), outer, n, inner, static_cast<int32_t*>(idx.data), m, F32(out));
  else indexSelect(F64(x), outer, n, inner, static_cast<int32_t*>(idx.data), m, F64(out));
  return nullptr;
}

napi_value IndexAdd(napi_env env, napi_callback_info info) {
  Call c(env, info, kIndexAdd, 6);
  Array src, idx, out;
  int64_t outer, n, inner;
  if (!floatArray(c, 0, src, "src") || !integer(c, c.argv[1], outer, "outer") || !integer(c, c.argv[2], n, "n") ||
      !integer(c, c.argv[3], inner, "inner") || !intArray(c, 4, idx, "indices") || !floatArray(c, 5, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(src, out)) return fallback(c);
  const int64_t m = static_cast<int64_t>(idx.length);
  if (static_cast<uint64_t>(outer * m * inner) > src.length || static_cast<uint64_t>(outer * n * inner) > out.length) {
    return c.fail("RangeError", "src must hold outer*m*inner and out outer*n*inner values"), nullptr;
  }
  if (outer * inner > 0 && !indicesBelow(c, idx, n, "indices")) return nullptr;
  if (src.dtype == DType::f32) indexAdd(F32(src), outer, n, inner, static_cast<int32_t*>(idx.data), m, F32(out));
  else indexAdd(F64(src), outer, n, inner, static_cast<int32_t*>(idx.data), m, F64(out));
  return nullptr;
}

/** Shared checks of gather/scatterAdd: same rank, axis in range, index shape within the data shape off the axis, values below the axis size. */
bool gatherShapes(Call& c, const int64_t* dataShape, int rd, int64_t axis, const Array& index, const int64_t* indexShape,
                  int ri, size_t dataLength) {
  if (rd != ri || rd == 0) return c.fail("RangeError", "the data and index shapes must have the same rank >= 1");
  if (axis >= rd) return c.fail("RangeError", "axis is out of range");
  if (static_cast<size_t>(product(indexShape, ri)) != index.length) return c.fail("RangeError", "index's length is not the size of indexShape");
  if (static_cast<size_t>(product(dataShape, rd)) > dataLength) return c.fail("RangeError", "the data array is shorter than its shape");
  for (int d = 0; d < rd; d++) {
    if (d != axis && indexShape[d] > dataShape[d]) return c.fail("RangeError", "indexShape exceeds the data shape off the axis");
  }
  return index.length == 0 || indicesBelow(c, index, dataShape[axis], "index");
}

napi_value Gather(napi_env env, napi_callback_info info) {
  Call c(env, info, kGather, 6);
  Array x, index, out;
  int64_t xShape[kMaxRank], indexShape[kMaxRank], axis;
  int rx = 0, ri = 0;
  if (!floatArray(c, 0, x, "x") || !intList(c, 1, xShape, rx, "xShape") || !integer(c, c.argv[2], axis, "axis") ||
      !intArray(c, 3, index, "index") || !intList(c, 4, indexShape, ri, "indexShape") || !floatArray(c, 5, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(x, out)) return fallback(c);
  if (!gatherShapes(c, xShape, rx, axis, index, indexShape, ri, x.length)) return nullptr;
  if (out.length < index.length) return c.fail("RangeError", "out is shorter than index"), nullptr;
  const int32_t* ip = static_cast<const int32_t*>(index.data);
  if (x.dtype == DType::f32) gather(F32(x), xShape, static_cast<int>(axis), ip, indexShape, rx, index.length, F32(out));
  else gather(F64(x), xShape, static_cast<int>(axis), ip, indexShape, rx, index.length, F64(out));
  return nullptr;
}

napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  Call c(env, info, kScatterAdd, 6);
  Array src, index, out;
  int64_t indexShape[kMaxRank], outShape[kMaxRank], axis;
  int ri = 0, ro = 0;
  if (!floatArray(c, 0, src, "src") || !intArray(c, 1, index, "index") || !intList(c, 2, indexShape, ri, "indexShape") ||
      !integer(c, c.argv[3], axis, "axis") || !floatArray(c, 4, out, "out") || !intList(c, 5, outShape, ro, "outShape")) {
    return nullptr;
  }
  if (!sameDtype(src, out)) return fallback(c);
  if (!gatherShapes(c, outShape, ro, axis, index, indexShape, ri, out.length)) return nullptr;
  if (src.length < index.length) return c.fail("RangeError", "src is shorter than index"), nullptr;
  const int32_t* ip = static_cast<const int32_t*>(index.data);
  if (src.dtype == DType::f32) scatterAdd(F32(src), ip, indexShape, static_cast<int>(axis), F32(out), outShape, ro, index.length);
  else scatterAdd(F64(src), ip, indexShape, static_cast<int>(axis), F64(out), outShape, ro, index.length);
  return nullptr;
}

// ---- fused --------------------------------------------------------------

const char* const kActivationNames[] = {"identity", "relu", "tanh", "sigmoid"};

/** A float array of x's dtype, or null (then `present` is false). */
bool optionalFloatArray(Call& c, size_t i, Array& out, bool& present, const char* name) {
  if (c.failed) return false;
  napi_valuetype t;
  if (napi_typeof(c.env, c.argv[i], &t) != napi_ok) return c.failf("TypeError", "%s must be a typed array or null", name);
  present = t != napi_null && t != napi_undefined;
  return !present || floatArray(c, i, out, name);
}

napi_value BiasActivation(napi_env env, napi_callback_info info) {
  Call c(env, info, kBiasActivation, 7);
  Activation act;
  Array x, bias, out;
  bool hasBias = false;
  int64_t outer, channels, inner;
  if (!opCode(c, 0, kActivationNames, act) || !floatArray(c, 1, x, "x") || !optionalFloatArray(c, 2, bias, hasBias, "bias") ||
      !integer(c, c.argv[3], outer, "outer") || !integer(c, c.argv[4], channels, "channels") ||
      !integer(c, c.argv[5], inner, "inner") || !floatArray(c, 6, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(x, out) || (hasBias && !sameDtype(x, bias))) return fallback(c);
  const uint64_t n = static_cast<uint64_t>(outer * channels * inner);
  if (n > x.length || n > out.length) return c.fail("RangeError", "x and out must hold outer*channels*inner values"), nullptr;
  if (hasBias && static_cast<uint64_t>(channels) > bias.length) return c.fail("RangeError", "bias is shorter than channels"), nullptr;
  // In place, or on separate arrays: a partial overlap would read values already written.
  const char* xb = static_cast<const char*>(x.data);
  const char* ob = static_cast<const char*>(out.data);
  const size_t bytes = n * (x.dtype == DType::f32 ? 4 : 8);
  if (xb != ob && xb < ob + bytes && ob < xb + bytes) return c.fail("RangeError", "x and out overlap without being the same array"), nullptr;
  if (x.dtype == DType::f32) biasActivation(act, F32(x), hasBias ? F32(bias) : nullptr, outer, channels, inner, F32(out));
  else biasActivation(act, F64(x), hasBias ? F64(bias) : nullptr, outer, channels, inner, F64(out));
  return nullptr;
}

napi_value ActivationGrad(napi_env env, napi_callback_info info) {
  Call c(env, info, kActivationGrad, 4);
  Activation act;
  Array g, y, out;
  if (!opCode(c, 0, kActivationNames, act) || !floatArray(c, 1, g, "g") || !floatArray(c, 2, y, "y") ||
      !floatArray(c, 3, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(g, y) || !sameDtype(g, out)) return fallback(c);
  if (g.length < out.length || y.length < out.length) return c.fail("RangeError", "g and y must be as long as out"), nullptr;
  if (g.dtype == DType::f32) activationGrad(act, F32(g), F32(y), F32(out), out.length);
  else activationGrad(act, F64(g), F64(y), F64(out), out.length);
  return nullptr;
}

/** x holds rows*cols values or one row of cols (repeated); returns false after throwing otherwise. */
bool bernoulliX(Call& c, const Array& x, int64_t rows, int64_t cols, bool& repeats) {
  const uint64_t n = static_cast<uint64_t>(rows * cols);
  repeats = x.length != n;
  if (repeats && x.length != static_cast<uint64_t>(cols)) return c.fail("RangeError", "x must hold rows*cols or cols values");
  return true;
}

napi_value BernoulliLogits(napi_env env, napi_callback_info info) {
  Call c(env, info, kBernoulliLogits, 6);
  Array x, l, out, sig;
  bool hasSig = false, repeats = false;
  int64_t rows, cols;
  if (!floatArray(c, 0, x, "x") || !floatArray(c, 1, l, "logits") || !integer(c, c.argv[2], rows, "rows") ||
      !integer(c, c.argv[3], cols, "cols") || !floatArray(c, 4, out, "out") || !optionalFloatArray(c, 5, sig, hasSig, "sigmoid")) {
    return nullptr;
  }
  if (!sameDtype(x, l) || !sameDtype(x, out) || (hasSig && !sameDtype(x, sig))) return fallback(c);
  const uint64_t n = static_cast<uint64_t>(rows * cols);
  if (l.length < n || out.length < static_cast<uint64_t>(rows) || (hasSig && sig.length < n)) {
    return c.fail("RangeError", "logits (and sigmoid) must hold rows*cols values and out rows"), nullptr;
  }
  if (!bernoulliX(c, x, rows, cols, repeats)) return nullptr;
  if (x.dtype == DType::f32) bernoulliLogits(F32(x), repeats, F32(l), rows, cols, F32(out), hasSig ? F32(sig) : nullptr);
  else bernoulliLogits(F64(x), repeats, F64(l), rows, cols, F64(out), hasSig ? F64(sig) : nullptr);
  return nullptr;
}

napi_value BernoulliLogitsGrad(napi_env env, napi_callback_info info) {
  Call c(env, info, kBernoulliLogitsGrad, 7);
  Array g, x, l, sig, out;
  bool hasSig = false, repeats = false;
  int64_t rows, cols;
  if (!floatArray(c, 0, g, "g") || !floatArray(c, 1, x, "x") || !floatArray(c, 2, l, "logits") ||
      !optionalFloatArray(c, 3, sig, hasSig, "sigmoid") || !integer(c, c.argv[4], rows, "rows") ||
      !integer(c, c.argv[5], cols, "cols") || !floatArray(c, 6, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(g, x) || !sameDtype(g, l) || !sameDtype(g, out) || (hasSig && !sameDtype(g, sig))) return fallback(c);
  const uint64_t n = static_cast<uint64_t>(rows * cols);
  if (g.length < static_cast<uint64_t>(rows) || l.length < n || out.length < n || (hasSig && sig.length < n)) {
    return c.fail("RangeError", "g must hold rows values, logits, sigmoid and out rows*cols"), nullptr;
  }
  if (!bernoulliX(c, x, rows, cols, repeats)) return nullptr;
  if (g.dtype == DType::f32) bernoulliLogitsGrad(F32(g), F32(x), repeats, F32(l), hasSig ? F32(sig) : nullptr, rows, cols, F32(out));
  else bernoulliLogitsGrad(F64(g), F64(x), repeats, F64(l), hasSig ? F64(sig) : nullptr, rows, cols, F64(out));
  return nullptr;
}

napi_value GaussianKL(napi_env env, napi_callback_info info) {
  Call c(env, info, kGaussianKL, 5);
  Array mu, lv, out;
  int64_t rows, cols;
  if (!floatArray(c, 0, mu, "mu") || !floatArray(c, 1, lv, "logvar") || !integer(c, c.argv[2], rows, "rows") ||
      !integer(c, c.argv[3], cols, "cols") || !floatArray(c, 4, out, "out")) {
    return nullptr;
  }
  if (!sameDtype(mu, lv) || !sameDtype(mu, out)) return fallback(c);
  const uint64_t n = static_cast<uint64_t>(rows * cols);
  if (mu.length < n || lv.length < n || out.length < static_cast<uint64_t>(rows)) {
    return c.fail("RangeError", "mu and logvar must hold rows*cols values and out rows"), nullptr;
  }
  if (mu.dtype == DType::f32) gaussianKL(F32(mu), F32(lv), rows, cols, F32(out));
  else gaussianKL(F64(mu), F64(lv), rows, cols, F64(out));
  return nullptr;
}

// ---- rational-quadratic splines -------------------------------------------

/** The SplineShape object of argument i: {count, bins, tailBound, minBinWidth, minBinHeight, minDerivative, inverse}. */
bool splineShape(Call& c, size_t i, SplineShape& sh) {
  if (c.failed) return false;
  auto field = [&](const char* name, napi_value& out) {
    bool has = false;
    if (napi_has_named_property(c.env, c.argv[i], name, &has) != napi_ok || !has ||
        napi_get_named_property(c.env, c.argv[i], name, &out) != napi_ok) {
      return c.failf("TypeError", "shape must be an object with %s", name);
    }
    return true;
  };
  napi_value v;
  if (!field("count", v) || !integer(c, v, sh.count, "shape.count")) return false;
  if (!field("bins", v) || !integer(c, v, sh.bins, "shape.bins", 2)) return false;
  if (!field("tailBound", v) || !number(c, v, sh.tailBound, "shape.tailBound")) return false;
  if (!field("minBinWidth", v) || !number(c, v, sh.minBinWidth, "shape.minBinWidth")) return false;
  if (!field("minBinHeight", v) || !number(c, v, sh.minBinHeight, "shape.minBinHeight")) return false;
  if (!field("minDerivative", v) || !number(c, v, sh.minDerivative, "shape.minDerivative")) return false;
  if (!field("inverse", v)) return false;
  if (napi_get_value_bool(c.env, v, &sh.inverse) != napi_ok) return c.fail("TypeError", "shape.inverse must be a boolean");
  if (sh.bins > 4096) return c.fail("RangeError", "shape.bins must be at most 4096");
  return true;
}

/** Checks that the spline's arrays hold count, count*bins and count*(bins - 1) values. */
bool splineLengths(Call& c, const SplineShape& sh, const Array* perValue, int nv, const Array* perBin, int nb, const Array* perKnot, int nk) {
  const uint64_t n = static_cast<uint64_t>(sh.count);
  const uint64_t k = static_cast<uint64_t>(sh.bins);
  for (int i = 0; i < nv; i++) if (perValue[i].length < n) return c.fail("RangeError", "x, value, logDet and their gradients must hold shape.count values");
  for (int i = 0; i < nb; i++) if (perBin[i].length < n * k) return c.fail("RangeError", "widths and heights (and their gradients) must hold count*bins values");
  for (int i = 0; i < nk; i++) if (perKnot[i].length < n * (k - 1)) return c.fail("RangeError", "derivatives (and their gradient) must hold count*(bins - 1) values");
  return true;
}

napi_value RqSpline(napi_env env, napi_callback_info info) {
  Call c(env, info, kRqSpline, 7);
  Array x, uw, uh, ud, value, logDet;
  SplineShape sh{};
  if (!floatArray(c, 0, x, "x") || !floatArray(c, 1, uw, "widths") || !floatArray(c, 2, uh, "heights") ||
      !floatArray(c, 3, ud, "derivatives") || !splineShape(c, 4, sh) || !floatArray(c, 5, value, "value") ||
      !floatArray(c, 6, logDet, "logDet")) {
    return nullptr;
  }
  if (!sameDtype(x, uw) || !sameDtype(x, uh) || !sameDtype(x, ud) || !sameDtype(x, value) || !sameDtype(x, logDet)) return fallback(c);
  const Array perValue[] = {x, value, logDet};
  const Array perBin[] = {uw, uh};
  if (!splineLengths(c, sh, perValue, 3, perBin, 2, &ud, 1)) return nullptr;
  if (x.dtype == DType::f32) rqSpline(F32(x), F32(uw), F32(uh), F32(ud), sh, F32(value), F32(logDet));
  else rqSpline(F64(x), F64(uw), F64(uh), F64(ud), sh, F64(value), F64(logDet));
  return nullptr;
}

napi_value RqSplineGrad(napi_env env, napi_callback_info info) {
  Call c(env, info, kRqSplineGrad, 11);
  Array x, uw, uh, ud, gv, gl, gx, gw, gh, gd;
  SplineShape sh{};
  if (!floatArray(c, 0, x, "x") || !floatArray(c, 1, uw, "widths") || !floatArray(c, 2, uh, "heights") ||
      !floatArray(c, 3, ud, "derivatives") || !splineShape(c, 4, sh) || !floatArray(c, 5, gv, "gValue") ||
      !floatArray(c, 6, gl, "gLogDet") || !floatArray(c, 7, gx, "gx") || !floatArray(c, 8, gw, "gWidths") ||
      !floatArray(c, 9, gh, "gHeights") || !floatArray(c, 10, gd, "gDerivatives")) {
    return nullptr;
  }
  const Array all[] = {uw, uh, ud, gv, gl, gx, gw, gh, gd};
  for (const Array& a : all) if (!sameDtype(x, a)) return fallback(c);
  const Array perValue[] = {x, gv, gl, gx};
  const Array perBin[] = {uw, uh, gw, gh};
  const Array perKnot[] = {ud, gd};
  if (!splineLengths(c, sh, perValue, 4, perBin, 4, perKnot, 2)) return nullptr;
  if (x.dtype == DType::f32) rqSplineGrad(F32(x), F32(uw), F32(uh), F32(ud), sh, F32(gv), F32(gl), F32(gx), F32(gw), F32(gh), F32(gd));
  else rqSplineGrad(F64(x), F64(uw), F64(uh), F64(ud), sh, F64(gv), F64(gl), F64(gx), F64(gw), F64(gh), F64(gd));
  return nullptr;
}

napi_value AdamStep(napi_env env, napi_callback_info info) {
  Call c(env, info, kAdamStep, 13);
  Array p, g, m, v, vmax;
  bool hasMax = false;
  AdamScalars s{};
  if (!floatArray(c, 0, p, "p") || !floatArray(c, 1, g, "g") || !floatArray(c, 2, m, "m") || !floatArray(c, 3, v, "v") ||
      !optionalFloatArray(c, 4, vmax, hasMax, "vmax") || !number(c, c.argv[5], s.stepSize, "stepSize") ||
      !number(c, c.argv[6], s.beta1, "beta1") || !number(c, c.argv[7], s.beta2, "beta2") ||
      !number(c, c.argv[8], s.bc2Sqrt, "bc2Sqrt") || !number(c, c.argv[9], s.eps, "eps") || !number(c, c.argv[10], s.l2, "l2") ||
      !number(c, c.argv[11], s.shrink, "shrink") || !boolean(c, 12, s.maximize, "maximize")) {
    return nullptr;
  }
  if (!sameDtype(p, g) || !sameDtype(p, m) || !sameDtype(p, v) || (hasMax && !sameDtype(p, vmax))) return fallback(c);
  const size_t n = p.length;
  if (g.length < n || m.length < n || v.length < n || (hasMax && vmax.length < n)) {
    return c.fail("RangeError", "g, m, v (and vmax) must be as long as p"), nullptr;
  }
  if (p.dtype == DType::f32) adamStep(F32(p), F32(g), F32(m), F32(v), hasMax ? F32(vmax) : nullptr, s, n);
  else adamStep(F64(p), F64(g), F64(m), F64(v), hasMax ? F64(vmax) : nullptr, s, n);
  return nullptr;
}

// ---- random -------------------------------------------------------------

napi_value Philox(napi_env env, napi_callback_info info) {
  Call c(env, info, kPhilox, 4);
  int64_t key0, key1, first;
  Array out;
  if (!integer(c, c.argv[0], key0, "key0") || !integer(c, c.argv[1], key1, "key1") || !integer(c, c.argv[2], first, "firstBlock") ||
      !typedArray(c, 3, out, "out")) {
    return nullptr;
  }
  if (key0 > 0xffffffffLL || key1 > 0xffffffffLL) return c.fail("RangeError", "key0 and key1 must be below 2^32"), nullptr;
  if (out.dtype != DType::other) return c.fail("TypeError", "out must be a Uint32Array"), nullptr;
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, c.argv[3], &type, &length, &data, &buffer, &offset) != napi_ok || type != napi_uint32_array) {
    return c.fail("TypeError", "out must be a Uint32Array"), nullptr;
  }
  philox(static_cast<uint32_t>(key0), static_cast<uint32_t>(key1), static_cast<uint64_t>(first), static_cast<uint32_t*>(data), length / 4);
  return nullptr;
}

napi_value BoxMuller32(napi_env env, napi_callback_info info) {
  Call c(env, info, kBoxMuller32, 2);
  Array out;
  if (c.failed || !typedArray(c, 1, out, "out")) return nullptr;
  if (out.dtype != DType::f32) return c.fail("TypeError", "out must be a Float32Array"), nullptr;
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, c.argv[0], &type, &length, &data, &buffer, &offset) != napi_ok || type != napi_uint32_array) {
    return c.fail("TypeError", "words must be a Uint32Array"), nullptr;
  }
  if (length < 4 * ((out.length + 1) / 2)) return c.fail("RangeError", "words must hold 4 words per pair of outputs"), nullptr;
  boxMuller32(static_cast<const uint32_t*>(data), static_cast<float*>(out.data), out.length);
  return nullptr;
}

// ---- housekeeping -------------------------------------------------------

napi_value str(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

/** isa() -> the instruction set GEMM uses now; isa('avx2' | 'scalar' | 'avx512') lowers it (for tests) and returns the one in effect. */
napi_value IsaFn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc >= 1) {
    napi_valuetype t;
    napi_typeof(env, argv[0], &t);
    if (t == napi_string) {
      char buf[16];
      size_t len;
      napi_get_value_string_utf8(env, argv[0], buf, sizeof buf, &len);
      const Isa want = std::strcmp(buf, "avx512") == 0 ? Isa::avx512 : std::strcmp(buf, "avx2") == 0 ? Isa::avx2 : Isa::scalar;
      setIsa(want);
    }
  }
  return str(env, isaName(activeIsa()));
}

napi_value DetectedIsaFn(napi_env env, napi_callback_info) { return str(env, isaName(detectedIsa())); }

napi_value ThreadsFn(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, threadCount(), &v);
  return v;
}

/** setFallbacks({ name: fn, ... }): the TypeScript kernels to call for mixed-dtype arguments. */
napi_value SetFallbacks(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Instance* inst = nullptr;
  if (argc < 1 || napi_get_instance_data(env, reinterpret_cast<void**>(&inst)) != napi_ok || !inst) return nullptr;
  for (int k = 0; k < kKernelCount; k++) {
    napi_value fn;
    napi_valuetype t;
    if (napi_get_named_property(env, argv[0], kKernelNames[k], &fn) != napi_ok) continue;
    napi_typeof(env, fn, &t);
    if (t != napi_function) continue;
    if (inst->fallback[k]) napi_delete_reference(env, inst->fallback[k]);
    napi_create_reference(env, fn, 1, &inst->fallback[k]);
  }
  return nullptr;
}

void FreeInstance(napi_env env, void* data, void*) {
  Instance* inst = static_cast<Instance*>(data);
  for (napi_ref r : inst->fallback) {
    if (r) napi_delete_reference(env, r);
  }
  delete inst;
}

// ---- the allocator ----------------------------------------------------------

/**
 * Every op writes a fresh typed array, which V8 allocates with calloc and
 * frees only when the garbage collector finds it dead, often many arrays at
 * once. With glibc's defaults, the memory freed at the top of the heap is
 * returned to the kernel as soon as it exceeds the trim threshold (a few
 * hundred KB), so the next step's arrays fault their pages in again: about
 * 50 page faults for each 200 KB GEMM output, an eighth of the GEMM's time
 * (BENCHMARKS.md). Holding the mmap threshold at 32 MB and trimming only
 * above 128 MB keeps freed memory for reuse; the resident size stays flat at
 * the working set plus at most 128 MB. Skipped when LATENT_MALLOC=system or
 * when the user tunes glibc's malloc through its own environment variables.
 */
const char* gAllocator = "system";
std::once_flag gAllocatorOnce;

void tuneAllocator() {
#if defined(__GLIBC__)
  const char* opt = std::getenv("LATENT_MALLOC");
  if (opt && std::strcmp(opt, "system") == 0) return;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_TOP_PAD_") ||
      std::getenv("GLIBC_TUNABLES")) {
    return;
  }
  if (mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 128 << 20) == 1) gAllocator = "tuned";
#endif
}

/** allocator() -> 'tuned' when the glibc malloc thresholds above are in effect, else 'system'. */
napi_value AllocatorFn(napi_env env, napi_callback_info) { return str(env, gAllocator); }

napi_value Init(napi_env env, napi_value exports) {
  std::call_once(gAllocatorOnce, tuneAllocator);
  napi_set_instance_data(env, new Instance(), FreeInstance, nullptr);
  const napi_property_descriptor props[] = {
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"clamp", nullptr, Clamp, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"where", nullptr, Where, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"stridedCopy", nullptr, StridedCopy, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"stridedAssign", nullptr, StridedAssign, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"im2col", nullptr, Im2col, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"col2im", nullptr, Col2im, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"indexSelect", nullptr, IndexSelect, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"indexAdd", nullptr, IndexAdd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gather", nullptr, Gather, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"scatterAdd", nullptr, ScatterAdd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"biasActivation", nullptr, BiasActivation, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"activationGrad", nullptr, ActivationGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"bernoulliLogits", nullptr, BernoulliLogits, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"bernoulliLogitsGrad", nullptr, BernoulliLogitsGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gaussianKL", nullptr, GaussianKL, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adamStep", nullptr, AdamStep, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"philox", nullptr, Philox, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"boxMuller32", nullptr, BoxMuller32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"rqSpline", nullptr, RqSpline, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"rqSplineGrad", nullptr, RqSplineGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"isa", nullptr, IsaFn, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"detectedIsa", nullptr, DetectedIsaFn, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"threads", nullptr, ThreadsFn, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setFallbacks", nullptr, SetFallbacks, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"allocator", nullptr, AllocatorFn, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace
}  // namespace latent

NAPI_MODULE_INIT() { return latent::Init(env, exports); }
