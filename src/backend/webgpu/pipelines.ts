/**
 * Kernels: one WGSL source, reflected once, with its pipelines cached per override-constant set.
 *
 * The bindings and the `Params` uniform layout come from `wgsl_reflect`, so uniforms are packed by
 * member name (`{ n: 12, shape: [2, 3] }`) and never by hand-written offsets. Every kernel follows
 * one convention: storage buffers in group 0 (passed to a dispatch in binding order) and a single
 * `var<uniform> params: Params`, bound with a dynamic offset into the per-batch uniform arena.
 */
import { ResourceType, WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { TypeInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import { DeviceError } from '../../errors.js';

const SHADER_STAGE_COMPUTE = 0x4;

export type ParamValues = Record<string, number | readonly number[]>;
export type OverrideValues = Record<string, number>;

type ScalarKind = 'f32' | 'u32' | 'i32';

/** One `Params` member: the 32-bit word offsets of its scalars in declaration order. */
interface UniformMember {
  kind: ScalarKind;
  words: number[];
}

function scalarKind(type: TypeInfo, kernel: string, member: string): ScalarKind {
  const name = type.name;
  if (name === 'f32' || name === 'u32' || name === 'i32') return name;
  const format = (type as { format?: TypeInfo | null }).format;
  if (format) return scalarKind(format, kernel, member);
  throw new DeviceError(`kernel ${kernel}: Params.${member} has type ${type.getTypeName()}, which the uniform packer does not support`);
}

/** Word offsets of every scalar in a member: scalars, vecN, and arrays of those (with their stride). */
function memberWords(type: TypeInfo, byteOffset: number): number[] {
  const t = type as TypeInfo & { format?: TypeInfo | null; count?: number; stride?: number };
  if (type.isArray) {
    const words: number[] = [];
    for (let e = 0; e < (t.count ?? 0); e++) words.push(...memberWords(t.format!, byteOffset + e * (t.stride ?? 0)));
    return words;
  }
  const lanes = /^vec([234])/.exec(type.name);
  const n = lanes ? Number(lanes[1]) : 1;
  return Array.from({ length: n }, (_, c) => byteOffset / 4 + c);
}

export interface PipelineCheck {
  kernel: string;
  /** Resolves to an error message, or null when the pipeline is valid. */
  result: Promise<string | null>;
}

export class Kernel {
  readonly storageBindings: number[];
  readonly paramsBinding: number;
  /** Bytes of the Params struct, rounded to 16 as uniform bindings require. */
  readonly paramsBytes: number;
  readonly bindGroupLayout: GPUBindGroupLayout;
  /** Bind groups by storage-buffer ids (see CommandQueue); dropped when buffers are destroyed. */
  readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly members = new Map<string, UniformMember>();
  private readonly overrideNames: string[];
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly module: GPUShaderModule;
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(
    private readonly device: GPUDevice,
    readonly name: string,
    source: string,
    private readonly entryPoint: string,
    private readonly onCheck: (check: PipelineCheck) => void,
  ) {
    let reflect: WgslReflect;
    try {
      reflect = new WgslReflect(source);
    } catch (err) {
      throw new DeviceError(`kernel ${name}: WGSL does not parse: ${(err as Error).message}`);
    }
    const bindings = reflect.getBindGroups()[0] ?? [];
    const uniforms = bindings.filter((b) => b?.resourceType === ResourceType.Uniform);
    if (uniforms.length !== 1 || !uniforms[0]!.members) {
      throw new DeviceError(`kernel ${name}: expected exactly one uniform Params struct in group 0`);
    }
    const params = uniforms[0]!;
    this.paramsBinding = params.binding;
    this.paramsBytes = Math.ceil(params.size / 16) * 16;
    for (const m of params.members!) {
      this.members.set(m.name, { kind: scalarKind(m.type, name, m.name), words: memberWords(m.type, m.offset) });
    }
    const storage = bindings.filter((b) => b?.resourceType === ResourceType.Storage).sort((a, b) => a.binding - b.binding);
    this.storageBindings = storage.map((b) => b.binding);
    this.overrideNames = reflect.overrides.map((o) => o.name);

    const entries: GPUBindGroupLayoutEntry[] = storage.map((b) => ({
      binding: b.binding,
      visibility: SHADER_STAGE_COMPUTE,
      buffer: { type: b.access === 'read' ? 'read-only-storage' : 'storage' },
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
      const member = this.members.get(key);
      if (!member) throw new DeviceError(`kernel ${this.name}: Params has no member '${key}'`);
      const value = values[key]!;
      const view = member.kind === 'f32' ? f32 : member.kind === 'i32' ? i32 : u32;
      if (typeof value === 'number') {
        view[baseWord + member.words[0]!] = value;
        continue;
      }
      if (value.length > member.words.length) {
        throw new DeviceError(`kernel ${this.name}: Params.${key} holds ${member.words.length} values, got ${value.length}`);
      }
      for (let i = 0; i < value.length; i++) view[baseWord + member.words[i]!] = value[i]!;
    }
  }
}
