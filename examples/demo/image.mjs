// The CPU-heavy work of the demo, as plain functions so main.mjs can time the same work inline.
// It stands in for image processing: synthesise a greyscale picture, blur it pass after pass, then
// measure it. Deterministic (seeded), so the pool and inline runs compute the same numbers.

/** Mulberry32: a tiny seeded PRNG, so every run draws the same picture for a seed. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One 3×3 box-blur pass from `src` into `dst` (edges clamp). */
function blur(src, dst, size) {
  for (let y = 0; y < size; y++) {
    const up = (y === 0 ? 0 : y - 1) * size;
    const row = y * size;
    const down = (y === size - 1 ? y : y + 1) * size;
    for (let x = 0; x < size; x++) {
      const l = x === 0 ? 0 : x - 1;
      const r = x === size - 1 ? x : x + 1;
      const above = src[up + l] + src[up + x] + src[up + r];
      const level = src[row + l] + src[row + x] + src[row + r];
      const below = src[down + l] + src[down + x] + src[down + r];
      dst[row + x] = (above + level + below) / 9;
    }
  }
}

/**
 * Renders picture `seed` (size × size), blurs it `passes` times and returns its mean brightness
 * and contrast. `onPass(done, total)` is called after each pass, for progress reporting.
 */
export function processImage(seed, size, passes, onPass = () => {}) {
  const next = random(seed);
  let src = new Float32Array(size * size);
  let dst = new Float32Array(size * size);
  for (let i = 0; i < src.length; i++) src[i] = next();
  for (let pass = 1; pass <= passes; pass++) {
    blur(src, dst, size);
    [src, dst] = [dst, src];
    onPass(pass, passes);
  }
  let sum = 0;
  let squares = 0;
  for (const v of src) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / src.length;
  const contrast = Math.sqrt(Math.max(0, squares / src.length - mean * mean));
  return { seed, size, passes, mean: round(mean), contrast: round(contrast) };
}

function round(x) {
  return Math.round(x * 1e4) / 1e4;
}
