/**
 * The kernel registry: every WGSL file the backend runs, compiled lazily on first use.
 *
 * Shader-module compilation messages and pipeline validation arrive asynchronously; they are
 * collected here and raised (with the kernel's name) no later than the next read, so an invalid
 * pipeline can never silently produce garbage.
 */
import { DeviceError } from '../../errors.js';
import { Kernel } from './pipelines.js';
import type { KernelLayout, PipelineCheck } from './pipelines.js';
import { KERNEL_LAYOUTS } from './kernel-layouts.generated.js';
import argreduce from '../../../kernels/argreduce.wgsl';
import attention from '../../../kernels/attention.wgsl';
import attentionBackward from '../../../kernels/attention_backward.wgsl';
import binary from '../../../kernels/binary.wgsl';
import cast from '../../../kernels/cast.wgsl';
import copy from '../../../kernels/copy.wgsl';
import cumsum from '../../../kernels/cumsum.wgsl';
import fill from '../../../kernels/fill.wgsl';
import gather from '../../../kernels/gather.wgsl';
import indexCheck from '../../../kernels/index_check.wgsl';
import lstm from '../../../kernels/lstm.wgsl';
import matmulNaive from '../../../kernels/matmul_naive.wgsl';
import matmulRegister from '../../../kernels/matmul_register.wgsl';
import matmulShared from '../../../kernels/matmul_shared.wgsl';
import matmulSplitk from '../../../kernels/matmul_splitk.wgsl';
import optimizer from '../../../kernels/optimizer.wgsl';
import random from '../../../kernels/random.wgsl';
import reduce from '../../../kernels/reduce.wgsl';
import scatter from '../../../kernels/scatter.wgsl';
import softmax from '../../../kernels/softmax.wgsl';
import sort from '../../../kernels/sort.wgsl';
import unary from '../../../kernels/unary.wgsl';
import where from '../../../kernels/where.wgsl';
import conv2dDirect from '../../../kernels/conv2d_direct.wgsl';
import conv2dGemm from '../../../kernels/conv2d_gemm.wgsl';
import conv2dGradWeightDirect from '../../../kernels/conv2d_grad_weight_direct.wgsl';
import conv2dGradWeightGemm from '../../../kernels/conv2d_grad_weight_gemm.wgsl';
import moments from '../../../kernels/moments.wgsl';
import momentsSubgroups from '../../../kernels/moments_subgroups.wgsl';
import pool2d from '../../../kernels/pool2d.wgsl';
import pool2dGrad from '../../../kernels/pool2d_grad.wgsl';

/** Every kernel's composed source (its kernels/lib functions appended by the loader). */
export const KERNEL_SOURCES = {
  argreduce, binary, cast, copy, fill, random, reduce, unary, where,
  matmulNaive, matmulRegister, matmulShared, matmulSplitk,
  conv2dGemm, conv2dDirect, conv2dGradWeightGemm, conv2dGradWeightDirect, pool2d, pool2dGrad, moments, momentsSubgroups,
  attention, attentionBackward, cumsum, gather, indexCheck, lstm, scatter, softmax, sort,
  optimizer,
} as const;

export type KernelName = keyof typeof KERNEL_SOURCES;

export class KernelRegistry {
  private readonly kernels = new Map<string, Kernel>();
  private checks: PipelineCheck[] = [];
  private failures: string[] = [];

  constructor(private readonly device: GPUDevice) {}

  get(name: KernelName): Kernel {
    let kernel = this.kernels.get(name);
    if (!kernel) {
      kernel = this.compile(name, KERNEL_SOURCES[name], KERNEL_LAYOUTS[name]);
      this.kernels.set(name, kernel);
    }
    return kernel;
  }

  compile(name: string, source: string, layout: KernelLayout): Kernel {
    return new Kernel(this.device, name, source, layout, 'main', (check) => this.track(check));
  }

  /** Forgets cached bind groups, which may reference buffers about to be destroyed. */
  dropBindGroups(): void {
    for (const kernel of this.kernels.values()) kernel.bindGroups.clear();
  }

  /** Throws the compile / pipeline errors already known (cheap; used on every flush). */
  raiseKnown(): void {
    if (this.failures.length === 0) return;
    const messages = this.failures.splice(0);
    throw new DeviceError(`WGSL kernel error: ${messages.join(' | ')}`);
  }

  /** Waits for every outstanding compile / pipeline check, then throws any failure. */
  async settle(): Promise<void> {
    while (this.checks.length > 0) {
      const pending = this.checks;
      this.checks = [];
      await Promise.all(pending.map((c) => c.result));
    }
    this.raiseKnown();
  }

  private track(check: PipelineCheck): void {
    this.checks.push(check);
    void check.result.then((message) => {
      if (message !== null) this.failures.push(`${check.kernel}: ${message}`);
    });
  }
}
