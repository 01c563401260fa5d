/**
 * One metric against the step, for one run or overlaid for several. Values
 * the API sends as `"NaN"`, `"Infinity"` or `"-Infinity"` are gaps in the
 * line; the legend names them when the cursor is on one.
 */
import * as React from 'react';
import uPlot from 'uplot';

import { formatNumber, isNonFinite, plotNumber } from '../../shared/format';
import { MetricValue } from '../tokens';
import { themedAxes } from '../../shared/charts/axes';
import { Plot, PlotOptions } from '../../shared/charts/Plot';
import { IChartTheme } from '../../shared/charts/theme';

export interface ILineSeries {
  /**
   * Stable identity of the series, e.g. the run id.
   */
  id: string;
  label: string;
  /**
   * Which theme series colour to draw with.
   */
  color: number;
  steps: number[];
  values: MetricValue[];
}

export interface ILineChartProps {
  series: ILineSeries[];
  /**
   * The metric key, named by the y axis in the legend.
   */
  metric: string;
  /**
   * What the legend calls the x axis.
   */
  stepLabel: string;
  height: number;
  onWidth?: (width: number) => void;
  testId?: string;
}

export function LineChart(props: ILineChartProps): JSX.Element {
  const { height, metric, onWidth, series, stepLabel, testId } = props;

  const data = React.useMemo(() => lineData(series), [series]);
  // Which steps hold a non-finite value, per series, for the legend.
  const nonFinite = React.useMemo(
    () =>
      series.map(s => {
        const map = new Map<number, string>();
        s.values.forEach((value, i) => {
          if (isNonFinite(value)) {
            map.set(s.steps[i], value as string);
          }
        });
        return map;
      }),
    [series]
  );
  const nonFiniteRef = React.useRef(nonFinite);
  nonFiniteRef.current = nonFinite;

  const optionsKey = [
    stepLabel,
    ...series.map(s => `${s.id}:${s.color}:${s.label}`)
  ].join();
  const options = (theme: IChartTheme): PlotOptions => ({
    scales: { x: { time: false } },
    axes: themedAxes(theme),
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    series: [
      {
        label: stepLabel,
        value: (u: uPlot, value: number | null) =>
          value === null || value === undefined ? '—' : String(value)
      },
      ...series.map((s, index) => ({
        label: series.length === 1 ? metric : s.label,
        stroke: theme.series[s.color % theme.series.length],
        width: 1.5,
        spanGaps: false,
        points: { show: false },
        value: (
          u: uPlot,
          value: number | null,
          _: number,
          idx: number | null
        ) => {
          if (value !== null && value !== undefined) {
            return formatNumber(value);
          }
          const step = idx === null ? undefined : u.data[0][idx];
          return (
            (step !== undefined && nonFiniteRef.current[index]?.get(step)) ||
            '—'
          );
        }
      }))
    ]
  });

  return (
    <Plot
      options={options}
      optionsKey={optionsKey}
      data={data}
      height={height}
      onWidth={onWidth}
      label={metric}
      testId={testId}
    />
  );
}

/**
 * The series on one shared x axis of steps; steps a series lacks are left
 * out of its line rather than breaking it.
 */
function lineData(series: ILineSeries[]): uPlot.AlignedData {
  const tables = series.map(
    s => [s.steps, s.values.map(plotNumber)] as unknown as uPlot.AlignedData
  );
  if (tables.length === 0) {
    return [[]];
  }
  if (tables.length === 1) {
    return tables[0];
  }
  return uPlot.join(tables);
}
