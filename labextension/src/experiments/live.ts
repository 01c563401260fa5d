/**
 * How charts of live runs refresh and how many points they ask for, shared
 * by the run page and the comparison.
 */

/**
 * How often a running run's charts refresh, and the longest back-off after errors.
 */
export const LIVE_INTERVAL_MS = 2000;
export const LIVE_MAX_INTERVAL_MS = 60 * 1000;

/**
 * Points asked for before the charts have been measured.
 */
export const DEFAULT_POINTS = 600;

/**
 * Chart widths are rounded up to this many pixels, so resizing a panel a
 * little does not refetch every series.
 */
const POINTS_STEP = 100;

/**
 * The number of points to fetch for a chart `width` pixels wide.
 */
export function pointsForWidth(width: number): number {
  return Math.max(POINTS_STEP, Math.ceil(width / POINTS_STEP) * POINTS_STEP);
}
