import { registerKernel } from '../registry.js';
import { binary, clamp, stridedAssign, stridedCopy, unary, where } from './elementwise.js';
import { gemm } from './gemm.js';
import { col2im, im2col } from './conv.js';
import { gather, indexAdd, indexSelect, scatterAdd } from './indexing.js';
import { cumsum, reduce } from './reduce.js';
import { philox } from './random.js';
import { boxMuller32 } from './normal.js';
import { rqSpline, rqSplineGrad } from './spline.js';
import { activationGrad, adamStep, bernoulliLogits, bernoulliLogitsGrad, biasActivation, gaussianKL } from './fused.js';

/** Registers the TypeScript kernels as backend 'js'. */
export function registerCpuKernels(): void {
  registerKernel('unary', 'js', unary);
  registerKernel('binary', 'js', binary);
  registerKernel('clamp', 'js', clamp);
  registerKernel('where', 'js', where);
  registerKernel('reduce', 'js', reduce);
  registerKernel('cumsum', 'js', cumsum);
  registerKernel('gemm', 'js', gemm);
  registerKernel('stridedCopy', 'js', stridedCopy);
  registerKernel('stridedAssign', 'js', stridedAssign);
  registerKernel('im2col', 'js', im2col);
  registerKernel('col2im', 'js', col2im);
  registerKernel('indexSelect', 'js', indexSelect);
  registerKernel('indexAdd', 'js', indexAdd);
  registerKernel('gather', 'js', gather);
  registerKernel('scatterAdd', 'js', scatterAdd);
  registerKernel('biasActivation', 'js', biasActivation);
  registerKernel('activationGrad', 'js', activationGrad);
  registerKernel('bernoulliLogits', 'js', bernoulliLogits);
  registerKernel('bernoulliLogitsGrad', 'js', bernoulliLogitsGrad);
  registerKernel('gaussianKL', 'js', gaussianKL);
  registerKernel('adamStep', 'js', adamStep);
  registerKernel('philox', 'js', philox);
  registerKernel('boxMuller32', 'js', boxMuller32);
  registerKernel('rqSpline', 'js', rqSpline);
  registerKernel('rqSplineGrad', 'js', rqSplineGrad);
}

registerCpuKernels();
