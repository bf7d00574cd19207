// Everything a fused elementwise chain (src/backend/webgpu/fusion.ts) calls: the unary and binary
// functions by op code and the streaming entry point. The chain's own code is generated per chain
// signature; this file only names the libraries, so each is appended once.
// uses: unary_ops, binary_ops, stream
