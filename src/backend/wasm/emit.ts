/**
 * A small WebAssembly binary emitter: the wasm backend's kernels are written as TypeScript that
 * emits instructions (kernels.ts, gemm.ts), and the module is assembled at start-up. No toolchain,
 * no .wasm file to ship or load: the bytes are built in memory, so any bundler takes the backend as
 * plain code. Only the pieces of the binary format the kernels use are here (one imported memory,
 * functions, exports); opcodes follow the WebAssembly 2.0 core spec and the relaxed-SIMD proposal.
 */

export type ValType = 'i32' | 'f32' | 'f64' | 'v128';
const VALTYPE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

function uleb(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v !== 0 ? byte | 0x80 : byte);
  } while (v !== 0);
}

function sleb(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(out: number[], text: string): void {
  const bytes = new TextEncoder().encode(text);
  uleb(out, bytes.length);
  out.push(...bytes);
}

/** Core opcodes used by the kernels (single byte). */
export const OP = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f, call: 0x10,
  drop: 0x1a, select: 0x1b,
  i32Load: 0x28, f32Load: 0x2a, f64Load: 0x2b, i32Load8u: 0x2d, i32Store: 0x36, f32Store: 0x38, f64Store: 0x39, i32Store8: 0x3a,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a, i32LeS: 0x4c, i32LeU: 0x4d, i32GeS: 0x4e, i32GeU: 0x4f,
  f32Eq: 0x5b, f32Ne: 0x5c, f32Lt: 0x5d, f32Gt: 0x5e, f32Le: 0x5f, f32Ge: 0x60,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivS: 0x6d, i32DivU: 0x6e, i32RemS: 0x6f, i32And: 0x71, i32Or: 0x72, i32Shl: 0x74, i32ShrS: 0x75, i32ShrU: 0x76,
  f32Abs: 0x8b, f32Neg: 0x8c, f32Ceil: 0x8d, f32Floor: 0x8e, f32Nearest: 0x90, f32Sqrt: 0x91,
  f32Add: 0x92, f32Sub: 0x93, f32Mul: 0x94, f32Div: 0x95, f32Min: 0x96, f32Max: 0x97,
  f64Add: 0xa0,
  f32ConvertI32S: 0xb2, f64PromoteF32: 0xbb,
} as const;

/** SIMD opcodes (prefix 0xfd, then this number as LEB128). */
export const SIMD = {
  load: 0x00, load32Splat: 0x09, store: 0x0b, i8x16Shuffle: 0x0d, i8x16Splat: 0x0f, f32x4Splat: 0x13, f64x2Splat: 0x14, i32x4Splat: 0x11,
  f32x4ExtractLane: 0x1f, f64x2ExtractLane: 0x21,
  i32x4Eq: 0x37, i32x4Ne: 0x38, i32x4LtS: 0x39, i32x4GtS: 0x3b, i32x4LeS: 0x3d, i32x4GeS: 0x3f,
  f32x4Eq: 0x41, f32x4Ne: 0x42, f32x4Lt: 0x43, f32x4Gt: 0x44, f32x4Le: 0x45, f32x4Ge: 0x46,
  store64Lane: 0x5b, load32Zero: 0x5c, load64Zero: 0x5d, f32x4DemoteF64x2Zero: 0x5e, i8x16NarrowI16x8S: 0x65, i16x8NarrowI32x4S: 0x85, i16x8ExtendLowI8x16U: 0x89, i32x4ExtendLowI16x8U: 0xa9,
  v128And: 0x4e, v128Or: 0x50, v128Xor: 0x51, v128Bitselect: 0x52,
  f32x4Ceil: 0x67, f32x4Floor: 0x68, f32x4Nearest: 0x6a,
  i32x4Add: 0xae, i32x4Sub: 0xb1, i32x4Mul: 0xb5, i32x4MinS: 0xb6, i32x4MaxS: 0xb8,
  f32x4Abs: 0xe0, f32x4Neg: 0xe1, f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6, f32x4Div: 0xe7, f32x4Min: 0xe8, f32x4Max: 0xe9,
  f64x2PromoteLowF32x4: 0x5f, f64x2Sqrt: 0xef, f64x2Add: 0xf0, f64x2Sub: 0xf1, f64x2Mul: 0xf2, f64x2Div: 0xf3, f64x2Max: 0xf5,
  /** relaxed SIMD: a * b + c with or without the intermediate rounding (the engine picks FMA where it has it). */
  f32x4RelaxedMadd: 0x105,
} as const;

/** One function body under construction. Locals are declared on demand and numbered after the params. */
export class Fn {
  readonly code: number[] = [];
  private readonly extraLocals: ValType[] = [];

  constructor(readonly name: string, readonly params: readonly ValType[], readonly results: readonly ValType[] = [], readonly exported = true) {}

  /** A new local of `type`; returns its index. */
  local(type: ValType): number {
    this.extraLocals.push(type);
    return this.params.length + this.extraLocals.length - 1;
  }

  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  simd(opcode: number, ...immediates: number[]): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    this.code.push(...immediates);
    return this;
  }

  get(i: number): this { return this.op(0x20, ...lebBytes(i)); }
  set(i: number): this { return this.op(0x21, ...lebBytes(i)); }
  tee(i: number): this { return this.op(0x22, ...lebBytes(i)); }

  i32(value: number): this {
    this.code.push(0x41);
    sleb(this.code, value);
    return this;
  }

  f32(value: number): this {
    this.code.push(0x43, ...new Uint8Array(new Float32Array([value]).buffer));
    return this;
  }

  /** A memory access: opcode, log2 alignment, constant byte offset. */
  mem(opcode: number, alignLog2: number, offset = 0): this {
    this.code.push(opcode);
    uleb(this.code, alignLog2);
    uleb(this.code, offset);
    return this;
  }

  /** A SIMD memory access (v128.load / store / load32_splat). */
  vmem(opcode: number, alignLog2: number, offset = 0): this {
    this.simd(opcode);
    uleb(this.code, alignLog2);
    uleb(this.code, offset);
    return this;
  }

  /** local[i] += delta (i32). */
  inc(i: number, delta: number | (() => void)): this {
    this.get(i);
    if (typeof delta === 'number') this.i32(delta);
    else delta();
    return this.op(OP.i32Add).set(i);
  }

  /**
   * for (i = start; i < end; i += step) body(): `start` and `end` push an i32; the bound is
   * re-evaluated each round, so pass a local or constant. Branch depth inside body: 0 = the loop.
   */
  for(i: number, start: () => void, end: () => void, step: number | (() => void), body: () => void): this {
    start();
    this.set(i);
    this.op(OP.block, 0x40, OP.loop, 0x40);
    this.get(i);
    end();
    this.op(OP.i32GeS, OP.brIf, 1);
    body();
    this.inc(i, step);
    return this.op(OP.br, 0, OP.end, OP.end);
  }

  /** if (cond) then() else otherwise(). */
  if(cond: () => void, then: () => void, otherwise?: () => void): this {
    cond();
    this.op(OP.if, 0x40);
    then();
    if (otherwise) {
      this.op(OP.else);
      otherwise();
    }
    return this.op(OP.end);
  }

  localTypes(): ValType[] {
    return this.extraLocals;
  }
}

function lebBytes(value: number): number[] {
  const out: number[] = [];
  uleb(out, value);
  return out;
}

/** out.push(...items) without the argument-count limit of a spread (function bodies run to 100k bytes). */
function append(out: number[], items: readonly number[]): void {
  for (const item of items) out.push(item);
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  append(out, body);
}

/**
 * The module: memory imported as env.memory (shared when threads use it; a shared memory needs a
 * declared maximum), every function exported under its name. Functions call each other by
 * `indexOf(name)`, so helpers must be added before the functions that call them are emitted.
 */
export class ModuleBuilder {
  readonly fns: Fn[] = [];

  constructor(readonly memory: { initialPages: number; maximumPages: number; shared: boolean }) {}

  add(fn: Fn): Fn {
    this.fns.push(fn);
    return fn;
  }

  indexOf(fnName: string): number {
    const i = this.fns.findIndex((f) => f.name === fnName);
    if (i < 0) throw new Error(`wasm emitter: no function named ${fnName}`);
    return i;
  }

  bytes(): Uint8Array<ArrayBuffer> {
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const types: number[] = [];
    uleb(types, this.fns.length);
    for (const f of this.fns) {
      types.push(0x60);
      uleb(types, f.params.length);
      for (const p of f.params) types.push(VALTYPE[p]);
      uleb(types, f.results.length);
      for (const r of f.results) types.push(VALTYPE[r]);
    }
    section(out, 1, types);
    const imports: number[] = [1];
    name(imports, 'env');
    name(imports, 'memory');
    imports.push(0x02, this.memory.shared ? 0x03 : 0x01);
    uleb(imports, this.memory.initialPages);
    uleb(imports, this.memory.maximumPages);
    section(out, 2, imports);
    const funcs: number[] = [];
    uleb(funcs, this.fns.length);
    this.fns.forEach((_, i) => uleb(funcs, i));
    section(out, 3, funcs);
    const exported = this.fns.filter((f) => f.exported);
    const exports: number[] = [];
    uleb(exports, exported.length);
    for (const f of exported) {
      name(exports, f.name);
      exports.push(0x00);
      uleb(exports, this.fns.indexOf(f));
    }
    section(out, 7, exports);
    const code: number[] = [];
    uleb(code, this.fns.length);
    for (const f of this.fns) {
      const body: number[] = [];
      const locals = f.localTypes();
      uleb(body, locals.length);
      for (const t of locals) body.push(1, VALTYPE[t]);
      append(body, f.code);
      body.push(OP.end);
      uleb(code, body.length);
      append(code, body);
    }
    section(out, 10, code);
    return new Uint8Array(out);
  }
}
