/**
 * The `captions` task (notes 003 "Text-to-image": GAN-CLS, GigaGAN): each MNIST digit gets a
 * template caption "a {thin|thick} {upright|slanted} {zero..nine}" (the two attribute words in a
 * seeded order, so "a slanted thick seven" means the same as "a thick slanted seven") as a token
 * sequence over a vocabulary of 15 words, and is drawn with those attributes:
 * - thin: plus-shaped erosion (a digit already so thin that erosion would wipe it out stays as
 *   it is); thick: 3 x 3 dilation (image-ops.ts' morphology);
 * - upright: the digit deskewed, sheared by its own measured slant (image moments) so its slant
 *   is ~0; slanted: deskewed, then sheared right by s ~ U(0.3, 0.45) (one warp does both).
 * The class word comes from the digit's label, so the task needs the batch's labels. Record:
 * `{ images [N, 1, 28, 28] in [0, 1], tokens int32 [N, CAPTION_LENGTH] }`.
 * The detectors of the attributes (for judging a text-to-image model's outputs) are here too:
 * stroke width from area over boundary, slant from image moments.
 */
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { dilate, erodePlus, shearMatrices, slant, uniforms, warp } from './image-ops.js';

/** The digits' names, in class order. */
export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;
/** The captions' vocabulary, token id = index. */
export const CAPTION_VOCABULARY = ['a', 'thin', 'thick', 'upright', 'slanted', ...DIGIT_WORDS] as const;
/** Tokens per caption: "a", two attribute words, the digit's name. */
export const CAPTION_LENGTH = 4;

const TOKEN = { a: 0, thin: 1, thick: 2, upright: 3, slanted: 4, zero: 5 } as const;
/** The slanted shear, as the italic task's: s ~ U(0.3, 0.45). */
const SLANT = [0.3, 0.45] as const;
/** The deskewing shear is kept within ±0.8 (MNIST's steepest 1% lean by about that much), so a stray measurement cannot push a digit off the canvas. */
const DESKEW_LIMIT = 0.8;
/** A thin digit keeps at least this share of its stroke pixels; one that erosion would wipe out more stays as it is. */
const THIN_KEEPS = 0.3;
/** Stroke width (stroke pixels over half the boundary) above which a digit reads as thick: between the thin (~2.2) and thick (~4) renderings. */
export const THICK_WIDTH = 3;
/** Slant (image moments, a right lean negative) below which a digit reads as slanted: halfway to the shear's lower end. */
export const SLANTED_BELOW = -0.15;

/** What a caption says: the digit's class and its two attributes. */
export interface CaptionMeaning {
  digit: number;
  thick: boolean;
  slanted: boolean;
}

/** The tokens of a caption, the thickness word first unless `slantFirst`. */
export function captionTokens({ digit, thick, slanted }: CaptionMeaning, slantFirst = false): number[] {
  const width = thick ? TOKEN.thick : TOKEN.thin;
  const lean = slanted ? TOKEN.slanted : TOKEN.upright;
  return [TOKEN.a, ...(slantFirst ? [lean, width] : [width, lean]), TOKEN.zero + digit];
}

/** A caption's words, e.g. "a thick slanted seven". */
export function captionText(tokens: ArrayLike<number>): string {
  return Array.from(tokens, (t) => CAPTION_VOCABULARY[t] ?? `<${t}>`).join(' ');
}

/** The meaning of a caption's tokens (either word order), or a typed error for tokens no template makes. */
export function captionMeaning(tokens: ArrayLike<number>): CaptionMeaning {
  const t = Array.from(tokens);
  const words = new Set(t.slice(1, 3));
  const digit = t[3]! - TOKEN.zero;
  const valid = t.length === CAPTION_LENGTH && t[0] === TOKEN.a && digit >= 0 && digit < 10
    && words.has(TOKEN.thin) !== words.has(TOKEN.thick) && words.has(TOKEN.upright) !== words.has(TOKEN.slanted);
  if (!valid) throw new T.ArgumentError(`captionMeaning: '${captionText(t)}' is not a caption of the template "a {thin|thick} {upright|slanted} {digit}"`);
  return { digit, thick: words.has(TOKEN.thick), slanted: words.has(TOKEN.slanted) };
}

/**
 * Stroke width per image [N, 1, H, W] (ink ≥ 0.5 as stroke): 2·area / boundary, with the boundary
 * the stroke pixels a plus-shaped erosion removes; a band w pixels wide and L long has area wL and
 * boundary ≈ 2L, so this is ≈ w. Returns [N].
 */
export function strokeWidth(x: Tensor): Tensor {
  const ink = T.cast(T.ge(x, 0.5), 'float32');
  const area = T.sum(ink, [1, 2, 3]);
  const boundary = T.sum(T.sub(ink, erodePlus(ink)), [1, 2, 3]);
  return T.div(T.mul(area, 2), T.add(boundary, 1e-8));
}

/** What the detectors read in images [N, 1, H, W] in [0, 1]: thick and slanted per image (host arrays). */
export function detectAttributes(x: Tensor): { thick: boolean[]; slanted: boolean[] } {
  const widths = Array.from(T.tidy(() => strokeWidth(x)).dataSync());
  const slants = Array.from(T.tidy(() => slant(T.clamp(x, 0, 1))).dataSync());
  return { thick: widths.map((w) => w > THICK_WIDTH), slanted: slants.map((s) => s < SLANTED_BELOW) };
}

/**
 * The record of the captions task for digits `x` [N, 1, H, W] in [0, 1] with classes `labels`
 * (int32 [N]), from `seed`: per image, thick, slanted and the word order are fair coins and the
 * slanted shear is U(0.3, 0.45).
 */
export function captionsRecord(x: Tensor, seed: number, labels: Tensor | undefined): Record<string, Tensor> {
  const n = x.shape[0]!;
  if (!labels || labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new T.ShapeError(`task captions: needs the digits' labels [${n}] (the caption names the digit), got ${labels ? T.fmtShape(labels.shape) : 'none'}`);
  }
  const classes = Array.from(labels.dataSync());
  if (classes.some((c) => !(c >= 0 && c < 10 && Number.isInteger(c)))) throw new T.ArgumentError(`task captions: labels must be digit classes 0-9, got ${classes.join(', ')}`);
  const u = uniforms(seed, 6, 4 * n);
  const meanings = classes.map((digit, i): CaptionMeaning => ({ digit, thick: u[4 * i]! < 0.5, slanted: u[4 * i + 1]! < 0.5 }));
  const tokens = meanings.flatMap((m, i) => captionTokens(m, u[4 * i + 2]! < 0.5));
  const pick = (flags: boolean[]) => T.reshape(T.tensor(flags.map(Number), { device: x.device }), [n, 1, 1, 1]);
  const eroded = erodePlus(x);
  const strokes = (t: Tensor) => Array.from(T.sum(T.cast(T.ge(t, 0.5), 'float32'), [1, 2, 3]).dataSync());
  const [before, after] = [strokes(x), strokes(eroded)];
  const keep = pick(meanings.map((m, i) => !m.thick && after[i]! < THIN_KEEPS * before[i]!));
  const thin = T.add(T.mul(x, keep), T.mul(eroded, T.sub(1, keep)));
  const thick = pick(meanings.map((m) => m.thick));
  const drawn = T.add(T.mul(dilate(x, 3), thick), T.mul(thin, T.sub(1, thick)));
  // One shear per image: its own slant undone (a shear by s adds -s), plus the caption's lean.
  const own = Array.from(slant(drawn).dataSync(), (s) => Math.max(-DESKEW_LIMIT, Math.min(DESKEW_LIMIT, s)));
  const shear = own.map((s, i) => s + (meanings[i]!.slanted ? SLANT[0] + u[4 * i + 3]! * (SLANT[1] - SLANT[0]) : 0));
  return {
    images: T.clamp(warp(drawn, shearMatrices(shear, x.device)), 0, 1),
    tokens: T.tensor(Int32Array.from(tokens), { shape: [n, CAPTION_LENGTH], dtype: 'int32', device: x.device }),
  };
}
