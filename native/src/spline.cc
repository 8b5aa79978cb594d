// Rational-quadratic spline kernels (Durkan et al. 2019, "Neural Spline
// Flows"): the native twins of src/kernels/cpu/spline.ts, the same
// operations in the same order, in double, rounded to T on output. They agree
// with the TypeScript kernels to within a few ulps of double (libm's exp, log
// and log1p against V8's).
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels.h"

namespace latent {
namespace {

/** Knots of one row: edges[0..K] on [-B, B] from unnormalized sizes u[0..K); frac receives the fractions. */
template <class T>
void rowKnots(const T* u, int64_t k, double min, double bound, double* frac, double* edges) {
  double m = -INFINITY;
  for (int64_t j = 0; j < k; j++) m = std::fmax(m, static_cast<double>(u[j]));
  double z = 0;
  for (int64_t j = 0; j < k; j++) {
    const double e = std::exp(static_cast<double>(u[j]) - m);
    frac[j] = e;
    z += e;
  }
  const double scale = 1 - min * static_cast<double>(k);
  double cum = 0;
  edges[0] = -bound;
  for (int64_t j = 0; j < k; j++) {
    frac[j] = min + (scale * frac[j]) / z;
    cum += frac[j];
    edges[j + 1] = j == k - 1 ? bound : bound * (2 * cum - 1);
  }
}

/** Knot derivative i of a row: 1 at the ends, minD + softplus(ud[i - 1]) inside. */
template <class T>
double knotDerivative(const T* ud, int64_t i, int64_t k, double minD) {
  if (i == 0 || i == k) return 1;
  const double v = ud[i - 1];
  return minD + (v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)));
}

int64_t binOf(double v, const double* edges, int64_t k) {
  int64_t b = 0;
  while (b < k - 1 && v >= edges[b + 1]) b++;
  return b;
}

/** From the gradient of the edges gE[0..K] to the unnormalized sizes (see knotsGrad in spline.ts). */
template <class T>
void knotsGrad(const double* gE, const double* frac, int64_t k, double min, double bound, double* gFrac, T* gu) {
  const double scale = 1 - min * static_cast<double>(k);
  double acc = 0;
  double dot = 0;
  for (int64_t j = k - 1; j >= 0; j--) {
    gFrac[j] = 2 * bound * acc;
    if (j >= 1) acc += gE[j];
  }
  for (int64_t j = 0; j < k; j++) dot += ((frac[j] - min) / scale) * scale * gFrac[j];
  for (int64_t j = 0; j < k; j++) {
    const double p = (frac[j] - min) / scale;
    gu[j] = static_cast<T>(p * (scale * gFrac[j] - dot));
  }
}

/** One value's bin and its knots, over scratch reused for every value of a call (see BinAt in spline.ts). */
struct BinAt {
  const SplineShape& sh;
  std::vector<double> scratch;
  double *fw, *fh, *ew, *eh;
  int64_t b = 0;
  double xk = 0, wk = 0, yk = 0, hk = 0, dk = 0, dk1 = 0;

  explicit BinAt(const SplineShape& shape) : sh(shape), scratch(4 * (shape.bins + 1)) {
    fw = scratch.data();
    fh = fw + (sh.bins + 1);
    ew = fh + (sh.bins + 1);
    eh = ew + (sh.bins + 1);
  }

  template <class T>
  void locate(const T* uw, const T* uh, const T* ud, int64_t i, double v) {
    const int64_t k = sh.bins;
    rowKnots(uw + i * k, k, sh.minBinWidth, sh.tailBound, fw, ew);
    rowKnots(uh + i * k, k, sh.minBinHeight, sh.tailBound, fh, eh);
    b = binOf(v, sh.inverse ? eh : ew, k);
    xk = ew[b];
    wk = ew[b + 1] - ew[b];
    yk = eh[b];
    hk = eh[b + 1] - eh[b];
    dk = knotDerivative(ud + i * (k - 1), b, k, sh.minDerivative);
    dk1 = knotDerivative(ud + i * (k - 1), b + 1, k, sh.minDerivative);
  }
};

}  // namespace

template <class T>
void rqSpline(const T* x, const T* uw, const T* uh, const T* ud, const SplineShape& sh, T* value, T* logDet) {
  const double bound = sh.tailBound;
  BinAt at(sh);
  for (int64_t i = 0; i < sh.count; i++) {
    const double v = x[i];
    if (!(v >= -bound && v <= bound)) {
      value[i] = static_cast<T>(v);
      logDet[i] = 0;
      continue;
    }
    at.locate(uw, uh, ud, i, v);
    const double xk = at.xk, wk = at.wk, yk = at.yk, hk = at.hk, dk = at.dk, dk1 = at.dk1;
    const double s = hk / wk;
    const double c = dk + dk1 - 2 * s;
    double theta;
    if (!sh.inverse) {
      theta = (v - xk) / wk;
      const double t1 = theta * (1 - theta);
      value[i] = static_cast<T>(yk + (hk * (s * theta * theta + dk * t1)) / (s + c * t1));
    } else {
      const double dy = v - yk;
      const double qa = hk * (s - dk) + dy * c;
      const double qb = hk * dk - dy * c;
      const double qc = -s * dy;
      const double disc = std::fmax(qb * qb - 4 * qa * qc, 0.0);
      theta = (2 * qc) / (-qb - std::sqrt(disc));
      value[i] = static_cast<T>(xk + theta * wk);
    }
    const double omt = 1 - theta;
    const double t1 = theta * omt;
    const double den = s + c * t1;
    const double q = dk1 * theta * theta + 2 * s * t1 + dk * omt * omt;
    const double l = 2 * std::log(s) + std::log(q) - 2 * std::log(den);
    logDet[i] = static_cast<T>(sh.inverse ? -l : l);
  }
}

template <class T>
void rqSplineGrad(const T* x, const T* uw, const T* uh, const T* ud, const SplineShape& sh, const T* gValue, const T* gLogDet,
                  T* gx, T* guw, T* guh, T* gud) {
  const int64_t k = sh.bins;
  const double bound = sh.tailBound;
  const bool inverse = sh.inverse;
  BinAt at(sh);
  std::vector<double> scratch(3 * (k + 1));
  double* gew = scratch.data();
  double* geh = gew + (k + 1);
  double* gFrac = geh + (k + 1);
  for (int64_t i = 0; i < sh.count * k; i++) guw[i] = guh[i] = 0;
  for (int64_t i = 0; i < sh.count * (k - 1); i++) gud[i] = 0;
  for (int64_t i = 0; i < sh.count; i++) {
    const double v = x[i];
    if (!(v >= -bound && v <= bound)) {
      gx[i] = gValue[i];
      continue;
    }
    at.locate(uw, uh, ud, i, v);
    const int64_t b = at.b;
    const double xk = at.xk, wk = at.wk, yk = at.yk, hk = at.hk, dk = at.dk, dk1 = at.dk1;
    const T* d = ud + i * (k - 1);
    const double s = hk / wk;
    const double c = dk + dk1 - 2 * s;
    const double gv = gValue[i];
    const double gL = inverse ? -static_cast<double>(gLogDet[i]) : static_cast<double>(gLogDet[i]);
    double theta, dy = 0, qa = 0, qb = 0, qc = 0, rt = 0, denq = 0;
    if (!inverse) {
      theta = (v - xk) / wk;
    } else {
      dy = v - yk;
      qa = hk * (s - dk) + dy * c;
      qb = hk * dk - dy * c;
      qc = -s * dy;
      rt = std::sqrt(std::fmax(qb * qb - 4 * qa * qc, 0.0));
      denq = -qb - rt;
      theta = (2 * qc) / denq;
    }
    const double omt = 1 - theta;
    const double t1 = theta * omt;
    const double th2 = theta * theta;
    const double den = s + c * t1;
    const double q = dk1 * th2 + 2 * s * t1 + dk * omt * omt;
    double gS = (2 * gL) / s;
    const double gQ = gL / q;
    double gDen = (-2 * gL) / den;
    double gDk1 = gQ * th2;
    double gTh2 = gQ * dk1;
    gS += gQ * 2 * t1;
    double gT1 = gQ * 2 * s;
    double gDk = gQ * omt * omt;
    double gOmt = gQ * dk * 2 * omt;
    double gHk = 0, gWk = 0, gXk = 0, gYk = 0, gTheta = 0;
    if (!inverse) {
      const double inner = s * th2 + dk * t1;
      const double num = hk * inner;
      gYk += gv;
      const double gNum = gv / den;
      gDen += (-gv * num) / (den * den);
      gHk += gNum * inner;
      const double gInner = gNum * hk;
      gS += gInner * th2;
      gTh2 += gInner * s;
      gDk += gInner * t1;
      gT1 += gInner * dk;
    }
    gS += gDen;
    double gC = gDen * t1;
    gT1 += gDen * c;
    gTheta += 2 * theta * gTh2 + gT1 * omt;
    gOmt += gT1 * theta;
    gTheta -= gOmt;
    if (!inverse) {
      const double gA = gTheta / wk;
      gWk += (-gTheta * theta) / wk;
      gx[i] = static_cast<T>(gA);
      gXk -= gA;
    } else {
      gXk += gv;
      gTheta += gv * wk;
      gWk += gv * theta;
      double gQc = (2 * gTheta) / denq;
      const double gDenq = (-gTheta * theta) / denq;
      double gQb = -gDenq;
      const double gRt = -gDenq;
      const double gDisc = rt > 0 ? gRt / (2 * rt) : 0;
      gQb += 2 * qb * gDisc;
      const double gQa = -4 * qc * gDisc;
      gQc += -4 * qa * gDisc;
      gS += -dy * gQc;
      double gDy = -s * gQc;
      gHk += dk * gQb + (s - dk) * gQa;
      gDk += hk * gQb - hk * gQa;
      gDy += -c * gQb + c * gQa;
      gC += -dy * gQb + dy * gQa;
      gS += hk * gQa;
      gx[i] = static_cast<T>(gDy);
      gYk -= gDy;
    }
    gDk += gC;
    gDk1 += gC;
    gS -= 2 * gC;
    gHk += gS / wk;
    gWk += (-gS * s) / wk;
    for (int64_t j = 0; j <= k; j++) gew[j] = geh[j] = 0;
    gew[b] += gXk - gWk;
    gew[b + 1] += gWk;
    geh[b] += gYk - gHk;
    geh[b + 1] += gHk;
    knotsGrad(gew, at.fw, k, sh.minBinWidth, bound, gFrac, guw + i * k);
    knotsGrad(geh, at.fh, k, sh.minBinHeight, bound, gFrac, guh + i * k);
    T* gd = gud + i * (k - 1);
    if (b >= 1) gd[b - 1] = static_cast<T>(static_cast<double>(gd[b - 1]) + gDk / (1 + std::exp(-static_cast<double>(d[b - 1]))));
    if (b + 1 <= k - 1) gd[b] = static_cast<T>(static_cast<double>(gd[b]) + gDk1 / (1 + std::exp(-static_cast<double>(d[b]))));
  }
}

template void rqSpline<float>(const float*, const float*, const float*, const float*, const SplineShape&, float*, float*);
template void rqSpline<double>(const double*, const double*, const double*, const double*, const SplineShape&, double*, double*);
template void rqSplineGrad<float>(const float*, const float*, const float*, const float*, const SplineShape&, const float*,
                                  const float*, float*, float*, float*, float*);
template void rqSplineGrad<double>(const double*, const double*, const double*, const double*, const SplineShape&, const double*,
                                   const double*, double*, double*, double*, double*);

}  // namespace latent
