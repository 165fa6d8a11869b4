/**
 * The bucket grid that long series of compared runs are reduced to: `buckets` equal buckets
 * of `width` from `lo` on the chosen x axis, two slots per bucket. Slot 2b holds the earlier
 * and slot 2b + 1 the later of the bucket's lowest and highest point, drawn at a quarter and
 * three quarters across the bucket, so every run reduced on one grid shares every x value.
 * The main side fills it from the metric roll-up; the page appends live points to it.
 */

export interface GridGeometry {
  lo: number;
  width: number;
  buckets: number;
}

/** The bucket of x (below lo: the first). */
export function bucketOf(grid: Pick<GridGeometry, 'lo' | 'width'>, x: number): number {
  return Math.max(0, Math.floor((x - grid.lo) / grid.width));
}

/** The x position of slot `slot` (two per bucket). */
export function slotX(grid: Pick<GridGeometry, 'lo' | 'width'>, slot: number): number {
  return grid.lo + (Math.floor(slot / 2) + (slot % 2 === 0 ? 0.25 : 0.75)) * grid.width;
}

/** The x positions of every slot of the grid, ascending. */
export function gridXs(grid: GridGeometry): number[] {
  return Array.from({ length: 2 * grid.buckets }, (_, i) => slotX(grid, i));
}

/**
 * Adds a point to bucket b of a grid's slot values (NaN = empty), the point being later than
 * every point already in it (a live run appends in x order): the bucket then keeps the
 * extremes of its old extremes and the point, the earlier one first. Returns whether a slot changed.
 */
export function appendToBucket(values: Float32Array | Float64Array, b: number, value: number): boolean {
  const i = 2 * b;
  const first = values[i]!;
  const second = values[i + 1]!;
  if (Number.isNaN(first)) {
    values[i] = value;
    values[i + 1] = value;
    return true;
  }
  const lo = Math.min(first, second);
  const hi = Math.max(first, second);
  if (value < lo) {
    // The old highest point stays (earlier); the new lowest comes after it.
    values[i] = hi;
    values[i + 1] = value;
    return true;
  }
  if (value > hi) {
    values[i] = lo;
    values[i + 1] = value;
    return true;
  }
  return false;
}
