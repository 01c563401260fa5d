/**
 * Parallel coordinates in SVG: one vertical axis per chosen parameter and a
 * last one for the metric, one line per run (or trial) in its colour.
 * Pointing at a line (or its legend entry) brings it forward.
 */
import * as React from 'react';

import {
  columnValue,
  formatNumber,
  formatValue,
  isNonFinite,
  plotNumber
} from '../format';
import { JSONValue } from '../../tokens';

/**
 * One line: its parameters (`config`) and results (`summary`).
 */
export interface IParallelLine {
  id: string;
  /**
   * Shown when the line is pointed at.
   */
  name: string;
  config: Record<string, JSONValue>;
  summary: Record<string, JSONValue>;
}

export interface IParallelCoordinatesProps {
  lines: IParallelLine[];
  /**
   * The CSS colour of a line, by id.
   */
  color: (id: string) => string;
  params: string[];
  metric: string | null;
  height: number;
  /**
   * The line pointed at elsewhere (a legend), highlighted here too.
   */
  highlighted: string | null;
  onHighlight: (id: string | null) => void;
  testId: string;
}

const MARGIN = { top: 28, right: 56, bottom: 20, left: 56 };

/**
 * Where a value sits on one axis, 0 (bottom) to 1 (top), and the labels
 * along it.
 */
interface IScale {
  title: string;
  at: (value: JSONValue | undefined) => number | null;
  ticks: { at: number; label: string }[];
}

export function ParallelCoordinates(
  props: IParallelCoordinatesProps
): JSX.Element {
  const { color, height, highlighted, metric, onHighlight, params, testId } =
    props;
  const lines = props.lines;
  const container = React.useRef<HTMLDivElement>(null);
  const [width, setWidth] = React.useState(0);

  React.useEffect(() => {
    const node = container.current;
    if (!node) {
      return;
    }
    setWidth(node.clientWidth);
    const observer = new ResizeObserver(() => setWidth(node.clientWidth));
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  const axes: { key: string; group: 'config' | 'summary' }[] = [
    ...params.map(key => ({ key, group: 'config' as const })),
    ...(metric ? [{ key: metric, group: 'summary' as const }] : [])
  ];
  const scales = axes.map(axis =>
    makeScale(
      axis.key,
      lines.map(line => columnValue(line, `${axis.group}.${axis.key}`))
    )
  );
  const plotWidth = Math.max(width - MARGIN.left - MARGIN.right, 1);
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const x = (index: number): number =>
    MARGIN.left +
    (axes.length > 1 ? (index * plotWidth) / (axes.length - 1) : plotWidth / 2);
  const y = (at: number): number => MARGIN.top + (1 - at) * plotHeight;

  const paths = lines.map(run => {
    // Lines break where a run lacks a value.
    let d = '';
    let open = false;
    axes.forEach((axis, index) => {
      const at = scales[index].at(
        columnValue(run, `${axis.group}.${axis.key}`)
      );
      if (at === null) {
        open = false;
        return;
      }
      d += `${open ? 'L' : 'M'}${x(index).toFixed(1)},${y(at).toFixed(1)}`;
      open = true;
    });
    return { run, d };
  });
  // The highlighted line is drawn last, on top.
  paths.sort(
    (a, b) =>
      Number(a.run.id === highlighted) - Number(b.run.id === highlighted)
  );

  return (
    <div className="jp-DLChart-parallel" ref={container} data-testid={testId}>
      {width > 0 && axes.length > 0 && (
        <svg
          width={width}
          height={height}
          role="img"
          aria-label={axes.map(axis => axis.key).join(', ')}
        >
          {paths.map(({ run, d }) => (
            <path
              key={run.id}
              d={d}
              className={
                'jp-DLChart-parallelLine' +
                (highlighted === null
                  ? ''
                  : highlighted === run.id
                    ? ' jp-mod-highlighted'
                    : ' jp-mod-dimmed')
              }
              style={{ stroke: color(run.id) }}
              onMouseEnter={() => onHighlight(run.id)}
              onMouseLeave={() => onHighlight(null)}
            >
              <title>{run.name}</title>
            </path>
          ))}
          {axes.map((axis, index) => (
            <g
              key={`${axis.group}.${axis.key}`}
              className="jp-DLChart-parallelAxis"
              transform={`translate(${x(index).toFixed(1)},0)`}
            >
              <line y1={y(0)} y2={y(1)} />
              {scales[index].ticks.map(tick => (
                <g key={tick.label} transform={`translate(0,${y(tick.at)})`}>
                  <line x1={-3} x2={3} />
                  <text x={-6} dy="0.32em" textAnchor="end">
                    {tick.label}
                  </text>
                </g>
              ))}
              <text
                className={
                  'jp-DLChart-parallelTitle' +
                  (axis.group === 'summary' ? ' jp-mod-metric' : '')
                }
                y={MARGIN.top - 12}
                textAnchor="middle"
              >
                {scales[index].title}
              </text>
            </g>
          ))}
        </svg>
      )}
    </div>
  );
}

/**
 * A linear scale over the finite numbers (a log scale when they are all
 * positive and span two orders of magnitude), or evenly spaced categories
 * when any value is text.
 */
function makeScale(title: string, values: (JSONValue | undefined)[]): IScale {
  const present = values.filter(
    (value): value is JSONValue => value !== undefined
  );
  const isText = present.some(
    value =>
      (typeof value === 'string' && !isNonFinite(value)) ||
      (typeof value === 'object' && value !== null)
  );
  if (isText) {
    const categories = [...new Set(present.map(formatValue))].sort();
    const at = (value: JSONValue | undefined): number | null => {
      if (value === undefined) {
        return null;
      }
      const index = categories.indexOf(formatValue(value));
      return categories.length === 1 ? 0.5 : index / (categories.length - 1);
    };
    return {
      title,
      at,
      ticks: categories.map(label => ({ at: at(label) ?? 0, label }))
    };
  }
  const numbers = present
    .map(plotNumber)
    .filter((value): value is number => value !== null);
  if (numbers.length === 0) {
    return { title, at: () => null, ticks: [] };
  }
  const min = Math.min(...numbers);
  const max = Math.max(...numbers);
  const log = min > 0 && max / min >= 100;
  const transform = (v: number): number => (log ? Math.log10(v) : v);
  const lo = transform(min);
  const hi = transform(max);
  const at = (value: JSONValue | undefined): number | null => {
    const number = plotNumber(value);
    if (number === null || (log && number <= 0)) {
      return null;
    }
    return hi === lo ? 0.5 : (transform(number) - lo) / (hi - lo);
  };
  const ticks =
    min === max
      ? [{ at: 0.5, label: formatNumber(min) }]
      : [
          { at: 0, label: formatNumber(min) },
          { at: 1, label: formatNumber(max) }
        ];
  return { title, at, ticks };
}
