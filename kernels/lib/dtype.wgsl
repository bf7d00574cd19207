// How a kernel reads a 32-bit storage word (dtypeCode in src/backend/webgpu/codes.ts).
const DTYPE_F32 = 0u;
const DTYPE_I32 = 1u;
// One 0/1 word per element.
const DTYPE_BOOL = 2u;
