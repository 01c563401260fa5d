/**
 * How values read in the panels: numbers short enough for a table cell,
 * the non-finite strings the API sends (`"NaN"`, `"Infinity"`,
 * `"-Infinity"`) as themselves, durations, times and sizes. Charts use
 * `plotNumber`, which turns every non-finite value into a gap.
 */
import { Time } from '@jupyterlab/coreutils';

import { JSONValue } from '../tokens';

/**
 * The strings the API uses for floats JSON cannot hold.
 */
const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

/**
 * Whether a value is one of the API's non-finite strings.
 */
export function isNonFinite(value: unknown): boolean {
  return typeof value === 'string' && NON_FINITE.has(value);
}

/**
 * A number in at most four significant digits (integers whole), e.g.
 * `0.1235`, `12.35`, `60000`, `1.5e-7`.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) {
    return String(value);
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e15) {
    return String(value);
  }
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) {
    return value
      .toExponential(2)
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  }
  return String(Number(value.toPrecision(4)));
}

/**
 * A config or summary value as a table shows it; `undefined` (the run does
 * not have the key) is the empty string.
 */
export function formatValue(value: JSONValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (value === null) {
    return 'null';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  return JSON.stringify(value);
}

/**
 * The full value, for a tooltip or a details table.
 */
export function formatValueFull(value: JSONValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/**
 * A value as a chart coordinate: finite numbers as they are; `NaN`,
 * `Infinity`, anything else as `null`, which uPlot draws as a gap.
 */
export function plotNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return value;
  }
  if (typeof value === 'boolean') {
    return value ? 1 : 0;
  }
  return null;
}

/**
 * Seconds as a short duration: `850 ms`, `42 s`, `3 m 07 s`, `2 h 05 m`, `3 d 4 h`.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  }
  const pad = (n: number): string => String(n).padStart(2, '0');
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) {
    return `${minutes} m ${pad(whole % 60)} s`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours} h ${pad(minutes % 60)} m`;
  }
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * An ISO time the way the file browser shows times, e.g. `3 minutes ago`.
 */
export function formatTimeAgo(iso: string | null | undefined): string {
  return iso ? Time.formatHuman(iso) : '';
}

/**
 * An ISO time in full, for tooltips and details.
 */
export function formatTime(iso: string | null | undefined): string {
  return iso ? Time.format(iso) : '';
}

/**
 * A byte count, e.g. `532 B`, `1.2 MB` (powers of 1000, as the file browser).
 */
export function formatBytes(size: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0
    ? `${size} B`
    : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * The value of a `config.<key>` or `summary.<key>` column of a run. Keys of
 * nested values are dotted (`config.optimizer.lr`), as the server lists them.
 */
export function columnValue(
  run: {
    config: Record<string, JSONValue>;
    summary: Record<string, JSONValue>;
  },
  column: string
): JSONValue | undefined {
  const dot = column.indexOf('.');
  const group = column.slice(0, dot);
  const key = column.slice(dot + 1);
  if (group !== 'config' && group !== 'summary') {
    return undefined;
  }
  return lookup(run[group], key);
}

/**
 * `key` in `values`, or, when absent, the dotted path it names.
 */
function lookup(
  values: Record<string, JSONValue>,
  key: string
): JSONValue | undefined {
  if (key in values) {
    return values[key];
  }
  const dots = key.split('.');
  for (let i = 1; i < dots.length; i++) {
    const head = dots.slice(0, i).join('.');
    const inner = values[head];
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      const found = lookup(inner, dots.slice(i).join('.'));
      if (found !== undefined) {
        return found;
      }
    }
  }
  return undefined;
}

/**
 * Nested config or summary values as dotted keys (`optimizer.lr`), in order;
 * lists stay whole.
 */
export function flatten(
  value: Record<string, JSONValue>,
  prefix = ''
): [string, JSONValue][] {
  const rows: [string, JSONValue][] = [];
  for (const [key, item] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (
      item !== null &&
      typeof item === 'object' &&
      !Array.isArray(item) &&
      Object.keys(item).length > 0
    ) {
      rows.push(...flatten(item, path));
    } else {
      rows.push([path, item]);
    }
  }
  return rows;
}
