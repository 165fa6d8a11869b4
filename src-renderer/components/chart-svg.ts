/** A standalone SVG of overlaid line series (the chart export), independent of the canvas. */
export interface SvgLine {
  label: string;
  colour: string;
  x: readonly number[];
  y: readonly (number | null)[];
}

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function linesToSvg(title: string, lines: readonly SvgLine[], opts: { width?: number; height?: number; logY?: boolean } = {}): string {
  const width = opts.width ?? 800;
  const height = opts.height ?? 400;
  const pad = 40;
  const ty = (v: number) => (opts.logY ? Math.log10(v) : v);
  const xs = lines.flatMap((l) => l.x);
  const ys = lines.flatMap((l) => l.y.filter((v): v is number => v !== null && Number.isFinite(ty(v))).map(ty));
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  const [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  const sx = (v: number) => pad + ((v - x0) / (x1 - x0 || 1)) * (width - 2 * pad);
  const sy = (v: number) => height - pad - ((ty(v) - y0) / (y1 - y0 || 1)) * (height - 2 * pad);
  const paths = lines.map((l) => {
    let d = '';
    let pen = false;
    l.x.forEach((xv, i) => {
      const yv = l.y[i];
      if (yv === null || yv === undefined || !Number.isFinite(ty(yv))) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${sx(xv).toFixed(1)},${sy(yv).toFixed(1)}`;
      pen = true;
    });
    return `<path d="${d}" fill="none" stroke="${esc(l.colour)}" stroke-width="1.5"><title>${esc(l.label)}</title></path>`;
  });
  const legend = lines.map((l, i) => `<text x="${pad + 4}" y="${pad + 14 * (i + 1)}" fill="${esc(l.colour)}" font-size="11">${esc(l.label)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad}" y="20" font-size="14">${esc(title)}</text>`,
    `<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#999"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#999"/>`,
    `<text x="${pad}" y="${height - pad + 16}" font-size="10">${x0}</text><text x="${width - pad}" y="${height - pad + 16}" font-size="10" text-anchor="end">${x1}</text>`,
    ...paths,
    ...legend,
    '</svg>',
  ].join('\n');
}
