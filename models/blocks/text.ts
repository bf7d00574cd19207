/**
 * What the text-to-image GANs (gan-cls, gigagan; notes 003 "Text-to-image") share on the
 * `captions` task (models/tasks/captions.ts):
 * - a small learned text encoder: token embeddings read by a GRU, giving one feature per word
 *   (the local features GigaGAN's cross-attention reads) and the last state as the caption's code
 *   (the sentence embedding GAN-CLS conditions on);
 * - mismatched captions for the matching-aware discriminator: each caption with exactly one of
 *   its digit, thickness or slant changed, made on the device;
 * - the grid's captions: row r draws digit r mod 10, its columns cycle through the four
 *   attribute pairs, so a grid shows class by row and attributes by column.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import { CAPTION_LENGTH, CAPTION_VOCABULARY, captionTokens } from '../tasks/captions.js';

/** Token ids the mismatch rule rewrites (captions.ts' vocabulary order). */
const [THIN, THICK, UPRIGHT, SLANTED, ZERO] = ['thin', 'thick', 'upright', 'slanted', 'zero'].map((w) => CAPTION_VOCABULARY.indexOf(w as never));

/** Embedding of each token, then a one-layer GRU over the caption. */
export class TextEncoder extends nn.Module {
  embedding: nn.Embedding;
  gru: nn.GRU;

  constructor(readonly embedDim: number, readonly hidden: number, device?: DeviceName) {
    super();
    this.embedding = new nn.Embedding(CAPTION_VOCABULARY.length, embedDim, { device });
    this.gru = new nn.GRU(embedDim, hidden, { batchFirst: true, device });
  }

  /** For tokens int32 [N, L]: per-word features [N, L, hidden] and the caption's code [N, hidden] (the last state). */
  forward(tokens: Tensor): { words: Tensor; code: Tensor } {
    if (tokens.shape.length !== 2 || tokens.dtype !== 'int32') throw new T.ShapeError(`TextEncoder: tokens must be int32 [N, L], got ${tokens.dtype} ${T.fmtShape(tokens.shape)}`);
    const [words, last] = this.gru.forward(this.embedding.forward(tokens));
    return { words, code: T.reshape(last, [tokens.shape[0]!, this.hidden]) };
  }
}

/**
 * Captions that do not match: each of `tokens` (int32 [N, 4]) with one thing changed, drawn per
 * caption: the digit (to another of the nine), the thickness word or the slant word flipped. A
 * discriminator fooled by one of these has not read that part of the caption.
 */
export function mismatchedTokens(tokens: Tensor): Tensor {
  const n = tokens.shape[0]!;
  const tok = T.cast(tokens, 'float32');
  const kind = T.reshape(T.randint(0, 3, [n], { device: tokens.device, dtype: 'float32' }), [n, 1]);
  const shift = T.reshape(T.randint(1, 10, [n], { device: tokens.device, dtype: 'float32' }), [n, 1]);
  const is = (t: Tensor, v: number) => T.cast(T.eq(t, v), 'float32');
  // Another digit: ZERO + (d + shift) mod 10 with d + shift in 1..18.
  const moved = T.add(T.sub(tok, ZERO), shift);
  const digit = T.add(T.sub(moved, T.mul(T.cast(T.ge(moved, 10), 'float32'), 10)), ZERO);
  const last = T.reshape(T.tensor(Array.from({ length: CAPTION_LENGTH }, (_, i) => (i === CAPTION_LENGTH - 1 ? 1 : 0)), { device: tokens.device }), [1, CAPTION_LENGTH]);
  const toDigit = T.mul(T.mul(is(kind, 0), last), T.sub(digit, tok));
  // thin <-> thick is t -> THIN + THICK - t; upright <-> slanted likewise.
  const flip = (k: number, a: number, b: number) => T.mul(T.mul(is(kind, k), T.add(is(tok, a), is(tok, b))), T.sub(a + b, T.mul(tok, 2)));
  return T.cast(T.add(T.add(tok, toDigit), T.add(flip(1, THIN, THICK), flip(2, UPRIGHT, SLANTED))), 'int32');
}

/** Tokens int32 [n, 4] of the grid's captions: row r (of 8) digit r mod 10, column c the attribute pair c mod 4 (thin/thick, then upright/slanted). */
export function gridCaptions(n: number, device: DeviceName): Tensor {
  const rows = Array.from({ length: n }, (_, i) => captionTokens({ digit: Math.floor(i / 8) % 10, thick: i % 2 === 1, slanted: i % 4 >= 2 }));
  return T.tensor(Int32Array.from(rows.flat()), { shape: [n, CAPTION_LENGTH], dtype: 'int32', device });
}

/** The captions a text model draws `n` images of: the first n of `sources.tokens` when given, else the grid's. */
export function captionsToDraw(n: number, device: DeviceName, sources?: Partial<Record<string, Tensor>>): Tensor {
  const given = sources?.tokens;
  if (!given) return gridCaptions(n, device);
  if (given.shape[0]! < n) throw new T.ShapeError(`text-to-image sample: asked for ${n} images from ${given.shape[0]} captions (sources.tokens ${T.fmtShape(given.shape)})`);
  return T.slice(given, [{ stop: n }]);
}
