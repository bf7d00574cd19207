// Kernel sources are imported as text (esbuild text loader in tsup/bench, a tiny plugin in vitest).
declare module '*.wgsl' {
  const source: string;
  export default source;
}
