// A kernel's binding and `Params` uniform layout as plain data, by reflecting its composed WGSL
// with wgsl_reflect. Run at build time (gen-kernel-layouts.mjs) and by the test that keeps the
// generated module in step with the sources, so the library itself never parses WGSL.
//
// Every kernel follows one convention: storage buffers in group 0 and a single
// `var<uniform> params: Params` there too.
import { ResourceType, WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

function scalarKind(type, kernel, member) {
  const name = type.name;
  if (name === 'f32' || name === 'u32' || name === 'i32') return name;
  if (type.format) return scalarKind(type.format, kernel, member);
  throw new Error(`kernel ${kernel}: Params.${member} has type ${type.getTypeName()}, which the uniform packer does not support`);
}

/** Word offsets of every scalar in a member: scalars, vecN, and arrays of those (with their stride). */
function memberWords(type, byteOffset) {
  if (type.isArray) {
    const words = [];
    for (let e = 0; e < (type.count ?? 0); e++) words.push(...memberWords(type.format, byteOffset + e * (type.stride ?? 0)));
    return words;
  }
  const lanes = /^vec([234])/.exec(type.name);
  const n = lanes ? Number(lanes[1]) : 1;
  return Array.from({ length: n }, (_, c) => byteOffset / 4 + c);
}

/** { storage: [[binding, readOnly]], paramsBinding, paramsBytes, members: { name: [kind, words] }, overrides }. */
export function reflectLayout(source, kernel) {
  let reflect;
  try {
    reflect = new WgslReflect(source);
  } catch (err) {
    throw new Error(`kernel ${kernel}: WGSL does not parse: ${err.message}`);
  }
  const bindings = (reflect.getBindGroups()[0] ?? []).filter((b) => b);
  const uniforms = bindings.filter((b) => b.resourceType === ResourceType.Uniform);
  if (uniforms.length !== 1 || !uniforms[0].members) {
    throw new Error(`kernel ${kernel}: expected exactly one uniform Params struct in group 0`);
  }
  const params = uniforms[0];
  const members = {};
  for (const m of params.members) members[m.name] = [scalarKind(m.type, kernel, m.name), memberWords(m.type, m.offset)];
  const storage = bindings
    .filter((b) => b.resourceType === ResourceType.Storage)
    .sort((a, b) => a.binding - b.binding)
    .map((b) => [b.binding, b.access === 'read' ? 1 : 0]);
  return {
    storage,
    paramsBinding: params.binding,
    // Uniform bindings are sized in multiples of 16 bytes.
    paramsBytes: Math.ceil(params.size / 16) * 16,
    members,
    overrides: reflect.overrides.map((o) => o.name),
  };
}
