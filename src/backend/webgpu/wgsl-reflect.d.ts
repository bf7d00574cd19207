// wgsl_reflect's package.json points `main` at a CommonJS file while declaring "type": "module",
// so neither Node nor vitest can import the bare specifier. Its ESM build works when imported by
// path; this re-exports the package's own typings under that path.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
