/**
 * A gallery as one standalone HTML page: for each query a block with the query image in
 * the first column and one row per source of its top-k retrievals (similarity, class,
 * same-class marked), as the reference's nearest-neighbour page lays them out. Images are
 * inlined as data: URIs, there is no script and nothing is fetched: it opens offline.
 */
import type { GalleryResult } from '../../../shared/gallery.ts';

export interface GalleryPage {
  title: string;
  /** e.g. "MNIST demo (8000 train / 2000 val)". */
  datasetTitle: string;
  results: GalleryResult[];
  /** PNG of a train or val image (null when the images are not on disk or not reachable). */
  image(split: 'train' | 'val', index: number): Buffer | null;
  /** PNG of the i-th query when it came from outside the dataset. */
  queryImage(i: number): Buffer | null;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function imgTag(png: Buffer | null, alt: string): string {
  return png ? `<img src="data:image/png;base64,${png.toString('base64')}" alt="${esc(alt)}">` : `<div class="noimg">${esc(alt)}</div>`;
}

export function renderGalleryHtml(page: GalleryPage): string {
  const blocks = page.results.map((r, qi) => {
    const q = r.query;
    const qLabel = q.className ?? (q.label === null ? 'class unknown' : String(q.label));
    const qName = q.split !== null && q.index !== null ? `${q.split} image ${q.index}` : `image ${q.name ?? ''}`;
    const qImage = q.split !== null && q.index !== null ? page.image(q.split, q.index) : page.queryImage(qi);
    const rows = r.rows.map((row) => {
      const tiles = row.hits
        .map(
          (h, rank) =>
            `<figure class="tile${h.sameClass ? ' same' : ''}" data-index="${h.index}" data-similarity="${h.similarity.toFixed(4)}">` +
            `${imgTag(h.label < 0 ? null : page.image('train', h.index), `train ${h.index}`)}<figcaption>${rank + 1}. ${h.similarity.toFixed(3)}<br>${esc(h.className)}</figcaption></figure>`,
        )
        .join('');
      const state = row.status === 'ready' ? '' : `<p class="problem">${esc(row.status)}${row.error ? `: ${esc(row.error)}` : ''}</p>`;
      return `<tr class="source-row"><th scope="row">${esc(row.title)}</th><td>${state}<div class="tiles">${tiles}</div></td></tr>`;
    });
    return (
      `<section class="query-block" id="q${qi}"><h2>Query: ${esc(qName)} (${esc(qLabel)})</h2>` +
      `<table><tr><td class="query" rowspan="${r.rows.length + 1}"><figure class="tile query-tile">${imgTag(qImage, qName)}` +
      `<figcaption>query<br>${esc(qLabel)}</figcaption></figure></td></tr>${rows.join('')}</table></section>`
    );
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(page.title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>
body{font:13px system-ui,sans-serif;margin:16px;color:#222}
table{border-collapse:collapse}th{text-align:left;padding:4px 8px;max-width:180px;font-weight:600;vertical-align:top}
td.query{vertical-align:top;padding-right:12px;border-right:2px solid #888}
.tiles{display:flex;flex-wrap:nowrap;gap:4px}
.tile{margin:0;width:72px;text-align:center;border:2px solid transparent}
.tile.same{border-color:#2a8f3c}.tile img,.noimg{width:64px;height:64px;image-rendering:pixelated;display:block;margin:auto;background:#eee}
.noimg{font-size:10px;overflow:hidden}
figcaption{font-size:11px;line-height:1.2}
.problem{color:#a33}
</style></head><body>
<h1>${esc(page.title)}</h1><p>Dataset: ${esc(page.datasetTitle)}. Green frame: same class as the query. Similarity is the cosine of L2-normalised features.</p>
${blocks.join('\n')}
</body></html>
`;
}
