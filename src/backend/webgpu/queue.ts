/**
 * Command batching: many dispatches share one command encoder and one compute pass, and are
 * submitted together on `flush()`, on readback, or when the batch grows past a threshold.
 *
 * Uniforms of a batch are packed into one CPU arena (slots aligned to the device's uniform offset
 * alignment) and uploaded with a single `writeBuffer` right before the submit. One GPU uniform
 * buffer suffices: queue operations run in order, so the next batch's `writeBuffer` executes after
 * the previous batch's commands have consumed theirs.
 */
import { DeviceError } from '../../errors.js';
import { BufferUsage } from './device.js';
import type { DeviceHealth } from './device.js';
import type { Kernel, OverrideValues, ParamValues } from './pipelines.js';
import type { PooledBuffer } from './buffer-pool.js';

/** Uniform arena size; a batch that fills it is submitted early. */
const ARENA_BYTES = 1 << 18;
/** Dispatches per batch before an automatic submit, so the GPU starts while JS keeps encoding. */
const MAX_BATCH_DISPATCHES = 512;
/** Per kernel; past this the cache starts over rather than growing without bound. */
const MAX_CACHED_BIND_GROUPS = 4096;

export type Workgroups = readonly [number, number, number];

export class CommandQueue {
  /** Id of the batch being recorded; bumped at each submit. */
  batch = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private readonly arena = new ArrayBuffer(ARENA_BYTES);
  private readonly u32 = new Uint32Array(this.arena);
  private readonly i32 = new Int32Array(this.arena);
  private readonly f32 = new Float32Array(this.arena);
  private arenaUsed = 0;
  private readonly uniformBuffer: GPUBuffer;
  private readonly uniformAlign: number;
  private readonly maxWorkgroupsPerDim: number;
  /** Dispatches recorded since creation (the bench reports them per training step). */
  totalDispatches = 0;
  /**
   * Called before anything is recorded or submitted: the elementwise fusion runs its pending chain
   * there, so every command stays in program order.
   */
  beforeCommand: (() => void) | null = null;
  /** Validation / out-of-memory results of submitted batches, awaited before a read resolves. */
  private submitChecks: Promise<GPUError | null>[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly health: DeviceHealth,
  ) {
    this.uniformAlign = device.limits.minUniformBufferOffsetAlignment;
    this.maxWorkgroupsPerDim = device.limits.maxComputeWorkgroupsPerDimension;
    this.uniformBuffer = device.createBuffer({ label: 'uniform arena', size: ARENA_BYTES, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  }

  get hasPendingWork(): boolean {
    return this.encoder !== null;
  }

  /**
   * A 1D workgroup count as a grid: over the per-dimension limit it folds into 2D, and the kernels
   * linearise `workgroup_id.x + workgroup_id.y * num_workgroups.x` (guarding the overshoot).
   */
  grid1D(workgroups: number): Workgroups {
    if (workgroups <= this.maxWorkgroupsPerDim) return [workgroups, 1, 1];
    const rows = Math.ceil(workgroups / this.maxWorkgroupsPerDim);
    if (rows > this.maxWorkgroupsPerDim) throw new DeviceError(`a dispatch of ${workgroups} workgroups exceeds the device grid`);
    return [Math.ceil(workgroups / rows), rows, 1];
  }

  checkGrid(kernel: string, grid: Workgroups): void {
    if (grid[0] > this.maxWorkgroupsPerDim || grid[1] > this.maxWorkgroupsPerDim || grid[2] > this.maxWorkgroupsPerDim) {
      throw new DeviceError(`kernel ${kernel}: grid [${grid.join(', ')}] exceeds maxComputeWorkgroupsPerDimension (${this.maxWorkgroupsPerDim})`);
    }
  }

  /** `buffers` are the kernel's storage bindings in binding order. */
  dispatch(kernel: Kernel, constants: OverrideValues, buffers: readonly PooledBuffer[], params: ParamValues, grid: Workgroups): void {
    this.beforeCommand?.();
    this.health.assertAlive();
    if (grid[0] === 0 || grid[1] === 0 || grid[2] === 0) return;
    const slot = Math.ceil(kernel.paramsBytes / this.uniformAlign) * this.uniformAlign;
    if (this.arenaUsed + slot > ARENA_BYTES || this.dispatches >= MAX_BATCH_DISPATCHES) this.flush();
    const offset = this.arenaUsed;
    this.arenaUsed += slot;
    const baseWord = offset / 4;
    this.u32.fill(0, baseWord, baseWord + kernel.paramsBytes / 4);
    kernel.packParams(params, baseWord, this.u32, this.i32, this.f32);

    const pipeline = kernel.pipeline(constants);
    const bindGroup = this.bindGroup(kernel, buffers);
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup, [offset]);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    this.dispatches++;
    this.totalDispatches++;
  }

  /** Records a buffer copy in program order with the dispatches around it. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    this.beforeCommand?.();
    this.health.assertAlive();
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src, 0, dst, 0, bytes);
  }

  /** Records zeroing `bytes` of `buffer` in program order with the dispatches around it. */
  clear(buffer: GPUBuffer, bytes: number): void {
    this.beforeCommand?.();
    this.health.assertAlive();
    this.endPass();
    this.commandEncoder().clearBuffer(buffer, 0, bytes);
  }

  flush(): void {
    this.beforeCommand?.();
    this.health.raiseRecorded();
    if (!this.encoder) return;
    this.endPass();
    const commands = this.encoder.finish();
    this.encoder = null;
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.uniformBuffer, 0, this.arena, 0, this.arenaUsed);
    this.device.queue.submit([commands]);
    this.submitChecks.push(this.device.popErrorScope(), this.device.popErrorScope());
    this.arenaUsed = 0;
    this.dispatches = 0;
    this.batch++;
  }

  /** Resolves once every submitted batch has been validated; records any error it found. */
  async settle(): Promise<void> {
    const checks = this.submitChecks;
    this.submitChecks = [];
    for (const error of await Promise.all(checks)) if (error) this.health.record(error.message);
  }

  /**
   * Bind groups are cached per kernel by buffer identity: creating one costs more than the rest of
   * a dispatch, and pooled buffers make the same combinations recur (every training step).
   * The uniform binding never changes (dynamic offsets select the slot).
   */
  private bindGroup(kernel: Kernel, buffers: readonly PooledBuffer[]): GPUBindGroup {
    let key = '';
    for (const b of buffers) key += `${b.id},`;
    let group = kernel.bindGroups.get(key);
    if (group) return group;
    if (kernel.bindGroups.size >= MAX_CACHED_BIND_GROUPS) kernel.bindGroups.clear();
    const entries: GPUBindGroupEntry[] = buffers.map((b, i) => ({ binding: kernel.storageBindings[i]!, resource: { buffer: b.buffer } }));
    entries.push({ binding: kernel.paramsBinding, resource: { buffer: this.uniformBuffer, size: kernel.paramsBytes } });
    group = this.device.createBindGroup({ layout: kernel.bindGroupLayout, entries });
    kernel.bindGroups.set(key, group);
    return group;
  }

  private commandEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private computePass(): GPUComputePassEncoder {
    return (this.pass ??= this.commandEncoder().beginComputePass());
  }

  private endPass(): void {
    if (!this.pass) return;
    this.pass.end();
    this.pass = null;
  }
}
