/**
 * Generates docs/ops.md, the table of every public op, from the code: the ops are the functions
 * src/index.ts re-exports from src/ops/, their PyTorch names come from each docstring's `@torch`
 * tag (or the table below for the ops written before the tag existed), and how each runs is read
 * from its body. `npm run docs:ops` rewrites the file; test/ops-table.test.ts fails when it is stale.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(root + path, 'utf8');

/** PyTorch names of the ops whose docstrings carry no `@torch` tag. */
const TORCH_NAMES: Record<string, string> = {
  tensor: 'torch.tensor', full: 'torch.full', zeros: 'torch.zeros', ones: 'torch.ones', zerosLike: 'torch.zeros_like', onesLike: 'torch.ones_like',
  fullLike: 'torch.full_like', arange: 'torch.arange', linspace: 'torch.linspace', eye: 'torch.eye', manualSeed: 'torch.manual_seed',
  rand: 'torch.rand', randn: 'torch.randn', randLike: 'torch.rand_like', randnLike: 'torch.randn_like', randint: 'torch.randint',
  cast: 'torch.Tensor.to(dtype)', neg: 'torch.neg', abs: 'torch.abs', sign: 'torch.sign', square: 'torch.square', reciprocal: 'torch.reciprocal',
  exp: 'torch.exp', log: 'torch.log', log1p: 'torch.log1p', expm1: 'torch.expm1', sqrt: 'torch.sqrt', rsqrt: 'torch.rsqrt', sin: 'torch.sin',
  cos: 'torch.cos', tanh: 'torch.tanh', sigmoid: 'torch.sigmoid', erf: 'torch.erf', relu: 'torch.relu', leakyRelu: 'torch.nn.functional.leaky_relu',
  elu: 'torch.nn.functional.elu', silu: 'torch.nn.functional.silu', floor: 'torch.floor', ceil: 'torch.ceil', round: 'torch.round',
  logicalNot: 'torch.logical_not', add: 'torch.add', sub: 'torch.sub', mul: 'torch.mul', div: 'torch.div', pow: 'torch.pow', maximum: 'torch.maximum',
  minimum: 'torch.minimum', mod: 'torch.remainder', eq: 'torch.eq', ne: 'torch.ne', lt: 'torch.lt', le: 'torch.le', gt: 'torch.gt', ge: 'torch.ge',
  logicalAnd: 'torch.logical_and', logicalOr: 'torch.logical_or', where: 'torch.where', clamp: 'torch.clamp',
  sum: 'torch.sum', mean: 'torch.mean', variance: 'torch.var', std: 'torch.std', max: 'torch.amax', min: 'torch.amin', prod: 'torch.prod',
  logsumexp: 'torch.logsumexp', argmax: 'torch.argmax', argmin: 'torch.argmin', sumToShape: 'torch.Tensor.sum_to_size',
  reshape: 'torch.reshape', view: 'torch.Tensor.view', flatten: 'torch.flatten', squeeze: 'torch.squeeze', unsqueeze: 'torch.unsqueeze',
  detach: 'torch.Tensor.detach', permute: 'torch.permute', transpose: 'torch.transpose', expand: 'torch.Tensor.expand', clone: 'torch.clone',
  slice: 'tensor[...] (basic slicing)', pad: 'torch.nn.functional.pad', cat: 'torch.cat', stack: 'torch.stack', split: 'torch.split', chunk: 'torch.chunk',
  gatherWindow: '(strided gather)', scatterWindow: '(strided scatter)',
  batchedMatmul: 'torch.bmm', matmul: 'torch.matmul', softmax: 'torch.softmax', logSoftmax: 'torch.log_softmax',
  scaledDotProductAttention: 'torch.nn.functional.scaled_dot_product_attention', attentionReference: '(unfused attention)',
  takeAlongAxis: 'torch.take_along_dim', gather: 'torch.gather', scatterAdd: 'torch.scatter_add', indexSelect: 'torch.index_select',
  embedding: 'torch.nn.functional.embedding', oneHot: 'torch.nn.functional.one_hot', cumsum: 'torch.cumsum', sort: 'torch.sort',
  argsort: 'torch.argsort', topk: 'torch.topk', maskedFill: 'torch.masked_fill', tril: 'torch.tril', triu: 'torch.triu', trilMask: 'torch.ones(...).tril().bool()',
  normalize: 'torch.nn.functional.normalize', cosineSimilarity: 'torch.nn.functional.cosine_similarity', cdist: 'torch.cdist',
  mseLoss: 'torch.nn.functional.mse_loss', l1Loss: 'torch.nn.functional.l1_loss', bceWithLogits: 'torch.nn.functional.binary_cross_entropy_with_logits',
  bce: 'torch.nn.functional.binary_cross_entropy', crossEntropy: 'torch.nn.functional.cross_entropy', nllLoss: 'torch.nn.functional.nll_loss',
  klDivGaussian: '(VAE Gaussian KL)', multinomial: 'torch.multinomial', categorical: 'torch.distributions.Categorical.sample',
  gumbelSoftmax: 'torch.nn.functional.gumbel_softmax', lstmCell: 'torch.nn.LSTMCell', conv2d: 'torch.nn.functional.conv2d',
  convTranspose2d: 'torch.nn.functional.conv_transpose2d', moments: '(torch.var_mean, biased)', batchNorm: 'torch.nn.functional.batch_norm',
  layerNorm: 'torch.nn.functional.layer_norm', groupNorm: 'torch.nn.functional.group_norm', instanceNorm: 'torch.nn.functional.instance_norm',
  maxPool2d: 'torch.nn.functional.max_pool2d', avgPool2d: 'torch.nn.functional.avg_pool2d', adaptiveAvgPool2d: 'torch.nn.functional.adaptive_avg_pool2d',
  globalAvgPool2d: 'torch.mean(x, (2, 3), keepdim=True)', interpolate: 'torch.nn.functional.interpolate', pixelShuffle: 'torch.nn.functional.pixel_shuffle',
  pixelUnshuffle: 'torch.nn.functional.pixel_unshuffle', dropout: 'torch.nn.functional.dropout',
  median: 'torch.median', // overloaded: the tag sits on the first signature, which the scan does not read
};

/** A call in an op's body that runs a backend primitive directly. */
const KERNEL = /\bbackend\.\w+\(|\b(?:unary|binary|reduceRaw|argReduce|extremum|gatherRaw|scatterAddRaw|gatherWindow|scatterWindow|convolve|convGradInput|pool|lastAxis|alongAxis|random|sortRaw)\(|\bwrap\(/;
/** Ops whose output shape depends on the values: they read them back, asynchronously, on any device. */
const READBACK = /\bhostOf\(|\bnonzero\(/;
const HOST = /\bhostValues\(|\bsolveEach\(|\bperMatrix\(|\bluDeterminants\(/;

interface Op {
  name: string;
  file: string;
  torch: string;
  kind: 'kernel' | 'composite' | 'host' | 'readback';
}

/** Each exported function or const of a module: its docstring and body (up to the next top-level declaration). */
function declarations(file: string): Map<string, { doc: string; body: string }> {
  const text = read(`src/ops/${file}`);
  const out = new Map<string, { doc: string; body: string }>();
  const decl = /(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*)?export (?:async )?(?:function|const) (\w+)/g;
  // A body ends where the next top-level statement, comment or docstring begins.
  const next = /\n(?=\/\*\*|\/\/|(?:export )?(?:async )?(?:function|const|let|class|interface|type) )/g;
  for (const m of text.matchAll(decl)) {
    const start = m.index! + m[0].length;
    next.lastIndex = start;
    const end = next.exec(text)?.index ?? text.length;
    out.set(m[2]!, { doc: m[1] ?? '', body: text.slice(start, end) });
  }
  return out;
}

/** The ops src/index.ts exports from src/ops, in its order. */
export function publicOps(): Op[] {
  const index = read('src/index.ts');
  const ops: Op[] = [];
  const seen = new Set<string>();
  for (const m of index.matchAll(/^export (\*|\{([^}]*)\}) from '\.\/ops\/([\w-]+)\.js';$/gm)) {
    const file = `${m[3]}.ts`;
    const decls = declarations(file);
    const names = m[1] === '*' ? [...decls.keys()] : m[2]!.split(',').map((s) => s.trim()).filter((s) => s && !s.startsWith('type '));
    for (const name of names) {
      const d = decls.get(name);
      if (!d || seen.has(name)) continue;
      seen.add(name);
      const tag = /@torch\s+(\S+)/.exec(d.doc)?.[1];
      const body = d.body;
      const kind = READBACK.test(body) ? 'readback' : HOST.test(body) ? 'host' : KERNEL.test(body) ? 'kernel' : 'composite';
      ops.push({ name, file, torch: tag ?? TORCH_NAMES[name] ?? '', kind });
    }
  }
  return ops;
}

/** The devices of the backend contract, and which of them read synchronously (the host path needs it). */
function devices(): { name: string; syncRead: boolean }[] {
  const union = /export type DeviceName = ([^;]+);/.exec(read('src/backend/backend.ts'))![1]!;
  return [...union.matchAll(/'(\w+)'/g)].map(([, name]) => {
    const dir = `src/backend/${name}`;
    const syncRead = readdirSync(root + dir).some((f) => f.endsWith('.ts') && /\breadSync\(ref/.test(read(`${dir}/${f}`)));
    return { name: name!, syncRead };
  });
}

const HOW: Record<Op['kind'], string> = {
  kernel: 'backend primitive',
  composite: 'built on other ops',
  host: 'host float64',
  readback: 'reads values back (async)',
};

export function renderOpsTable(): string {
  const ops = publicOps();
  const devs = devices();
  const lines = [
    '# Ops',
    '',
    '<!-- Generated by scripts/ops-table.ts from the code (npm run docs:ops); test/ops-table.test.ts fails when it is stale. -->',
    '',
    'Every public op, its PyTorch counterpart, and how it runs. A **backend primitive** calls a kernel of the contract in',
    '`src/backend/backend.ts` directly, which every backend implements natively; an op **built on other ops** runs on every',
    'backend through them (views such as reshape share storage; autograd flows through the parts or a closed-form rule);',
    '**host float64** ops (linear algebra) compute on the host and run on the backends that read synchronously; ops that',
    '**read values back** (their output shape depends on the values: nonzero, unique, ...) are async and run on every backend.',
    '',
    `${ops.length} ops.`,
    '',
    `| op | PyTorch | how | ${devs.map((d) => d.name).join(' | ')} | source |`,
    `|---|---|---|${devs.map(() => ':-:').join('|')}|---|`,
  ];
  for (const op of ops) {
    const marks = devs.map((d) => (op.kind !== 'host' || d.syncRead ? '✓' : '—'));
    lines.push(`| \`${op.name}\` | ${op.torch ? `\`${op.torch}\`` : ''} | ${HOW[op.kind]} | ${marks.join(' | ')} | src/ops/${op.file} |`);
  }
  return lines.join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(root + 'docs/ops.md', renderOpsTable());
  console.log(`docs/ops.md: ${publicOps().length} ops`);
}
