/**
 * Kernels: one WGSL source with its pipelines cached per override-constant set.
 *
 * The bindings and the `Params` uniform layout arrive as data (KernelLayout), reflected from the
 * WGSL at build time (scripts/gen-kernel-layouts.mjs), so uniforms are packed by member name
 * (`{ n: 12, shape: [2, 3] }`) and never by hand-written offsets, and no WGSL parser runs here.
 * Every kernel follows one convention: storage buffers in group 0 (passed to a dispatch in binding
 * order) and a single `var<uniform> params: Params`, bound with a dynamic offset into the
 * per-batch uniform arena.
 */
import { DeviceError } from '../../errors.js';

const SHADER_STAGE_COMPUTE = 0x4;

export type ParamValues = Record<string, number | readonly number[]>;
export type OverrideValues = Record<string, number>;

type ScalarKind = 'f32' | 'u32' | 'i32';

/** A kernel's interface, as scripts/wgsl-layout.mjs reflects it. */
export interface KernelLayout {
  /** Storage bindings in binding order: [binding, 1 when read-only]. */
  readonly storage: readonly (readonly [number, number])[];
  readonly paramsBinding: number;
  /** Bytes of the Params struct, rounded to 16 as uniform bindings require. */
  readonly paramsBytes: number;
  /** Each Params member: its scalar kind and the 32-bit word offsets of its scalars in order. */
  readonly members: Readonly<Record<string, readonly [ScalarKind, readonly number[]]>>;
  readonly overrides: readonly string[];
}

export interface PipelineCheck {
  kernel: string;
  /** Resolves to an error message, or null when the pipeline is valid. */
  result: Promise<string | null>;
}

export class Kernel {
  readonly storageBindings: number[];
  readonly paramsBinding: number;
  readonly paramsBytes: number;
  readonly bindGroupLayout: GPUBindGroupLayout;
  /** Bind groups by storage-buffer ids (see CommandQueue); dropped when buffers are destroyed. */
  readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly members: KernelLayout['members'];
  private readonly overrideNames: readonly string[];
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly module: GPUShaderModule;
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(
    private readonly device: GPUDevice,
    readonly name: string,
    source: string,
    layout: KernelLayout,
    private readonly entryPoint: string,
    private readonly onCheck: (check: PipelineCheck) => void,
  ) {
    this.paramsBinding = layout.paramsBinding;
    this.paramsBytes = layout.paramsBytes;
    this.members = layout.members;
    this.storageBindings = layout.storage.map(([binding]) => binding);
    this.overrideNames = layout.overrides;

    const entries: GPUBindGroupLayoutEntry[] = layout.storage.map(([binding, readOnly]) => ({
      binding,
      visibility: SHADER_STAGE_COMPUTE,
      buffer: { type: readOnly ? 'read-only-storage' : 'storage' },
    }));
    entries.push({
      binding: this.paramsBinding,
      visibility: SHADER_STAGE_COMPUTE,
      buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: this.paramsBytes },
    });
    this.bindGroupLayout = device.createBindGroupLayout({ label: name, entries });
    this.pipelineLayout = device.createPipelineLayout({ label: name, bindGroupLayouts: [this.bindGroupLayout] });
    // Scoped, so a compile error is reported against this kernel and not as an uncaptured device error.
    device.pushErrorScope('validation');
    this.module = device.createShaderModule({ label: name, code: source });
    const scope = device.popErrorScope();
    this.onCheck({
      kernel: name,
      result: Promise.all([this.module.getCompilationInfo(), scope]).then(([info, error]) => {
        const errors = info.messages.filter((m) => m.type === 'error').map((m) => `line ${m.lineNum}:${m.linePos} ${m.message}`);
        if (errors.length === 0 && error) errors.push(error.message);
        return errors.length === 0 ? null : errors.join('; ');
      }),
    });
  }

  /** The pipeline for one set of override constants, created (and validated) on first use. */
  pipeline(constants: OverrideValues): GPUComputePipeline {
    let key = '';
    for (const n of this.overrideNames) key += `${constants[n] ?? ''},`;
    let pipeline = this.pipelines.get(key);
    if (pipeline) return pipeline;
    this.device.pushErrorScope('validation');
    pipeline = this.device.createComputePipeline({
      label: `${this.name}(${key})`,
      layout: this.pipelineLayout,
      compute: { module: this.module, entryPoint: this.entryPoint, constants },
    });
    this.onCheck({ kernel: this.name, result: this.device.popErrorScope().then((e) => e?.message ?? null) });
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  /** Writes `values` into the uniform words starting at `baseWord` (the region is pre-zeroed). */
  packParams(values: ParamValues, baseWord: number, u32: Uint32Array, i32: Int32Array, f32: Float32Array): void {
    for (const key in values) {
      const member = this.members[key];
      if (!member) throw new DeviceError(`kernel ${this.name}: Params has no member '${key}'`);
      const [kind, words] = member;
      const value = values[key]!;
      const view = kind === 'f32' ? f32 : kind === 'i32' ? i32 : u32;
      if (typeof value === 'number') {
        view[baseWord + words[0]!] = value;
        continue;
      }
      if (value.length > words.length) {
        throw new DeviceError(`kernel ${this.name}: Params.${key} holds ${words.length} values, got ${value.length}`);
      }
      for (let i = 0; i < value.length; i++) view[baseWord + words[i]!] = value[i]!;
    }
  }
}
