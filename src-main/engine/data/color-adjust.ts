/**
 * torchvision's colour adjustments on float images in [0, 1] (the functional_tensor
 * formulas: blend then clamp to [0, 1], grayscale weights 0.2989/0.587/0.114, hue through
 * the same RGB→HSV→RGB conversion). torchvision applies them to PIL uint8 images in the
 * reference's pipeline, where each step is rounded to 8 bits and grayscale uses PIL's
 * 299/587/114 integer weights; the float path here differs by about one 8-bit step.
 * All functions work in place on HWC RGB data.
 */

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function gray(r: number, g: number, b: number): number {
  return 0.2989 * r + 0.587 * g + 0.114 * b;
}

export function adjustBrightness(data: Float32Array, factor: number): void {
  for (let i = 0; i < data.length; i++) data[i] = clamp01(data[i] * factor);
}

export function adjustContrast(data: Float32Array, factor: number): void {
  const pixels = data.length / 3;
  let sum = 0;
  for (let i = 0; i < data.length; i += 3) sum += gray(data[i], data[i + 1], data[i + 2]);
  const mean = pixels > 0 ? sum / pixels : 0;
  const offset = (1 - factor) * mean;
  for (let i = 0; i < data.length; i++) data[i] = clamp01(factor * data[i] + offset);
}

export function adjustSaturation(data: Float32Array, factor: number): void {
  const keep = 1 - factor;
  for (let i = 0; i < data.length; i += 3) {
    const l = gray(data[i], data[i + 1], data[i + 2]) * keep;
    data[i] = clamp01(factor * data[i] + l);
    data[i + 1] = clamp01(factor * data[i + 1] + l);
    data[i + 2] = clamp01(factor * data[i + 2] + l);
  }
}

/** Shifts hue by `shift` turns (torchvision's hue_factor in [-0.5, 0.5]). */
export function adjustHue(data: Float32Array, shift: number): void {
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i];
    const g = data[i + 1];
    const b = data[i + 2];
    // _rgb2hsv
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const eqc = maxc === minc;
    const cr = maxc - minc;
    const s = cr / (eqc ? 1 : maxc);
    const div = eqc ? 1 : cr;
    const rc = (maxc - r) / div;
    const gc = (maxc - g) / div;
    const bc = (maxc - b) / div;
    let h: number;
    if (maxc === r) h = bc - gc;
    else if (maxc === g) h = 2 + rc - bc;
    else h = 4 + gc - rc;
    h = (((h / 6 + 1) % 1) + shift) % 1;
    if (h < 0) h += 1; // torch's remainder is non-negative for a positive divisor
    // _hsv2rgb
    const v = maxc;
    const h6 = h * 6;
    const fi = Math.floor(h6);
    const f = h6 - fi;
    const p = clamp01(v * (1 - s));
    const q = clamp01(v * (1 - s * f));
    const t = clamp01(v * (1 - s * (1 - f)));
    switch (((fi % 6) + 6) % 6) {
      case 0: data[i] = v; data[i + 1] = t; data[i + 2] = p; break;
      case 1: data[i] = q; data[i + 1] = v; data[i + 2] = p; break;
      case 2: data[i] = p; data[i + 1] = v; data[i + 2] = t; break;
      case 3: data[i] = p; data[i + 1] = q; data[i + 2] = v; break;
      case 4: data[i] = t; data[i + 1] = p; data[i + 2] = v; break;
      default: data[i] = v; data[i + 1] = p; data[i + 2] = q; break;
    }
  }
}

/** Replaces each pixel by its luma in all three channels (RandomGrayscale's 3-channel output). */
export function toGrayscale(data: Float32Array): void {
  for (let i = 0; i < data.length; i += 3) {
    const l = gray(data[i], data[i + 1], data[i + 2]);
    data[i] = l;
    data[i + 1] = l;
    data[i + 2] = l;
  }
}
