/**
 * One parameter against one metric over the compared runs, as points in
 * the runs' colours. Text parameters are spread along the axis as
 * categories; a numeric parameter spanning orders of magnitude (a learning
 * rate) gets a log axis.
 */
import * as React from 'react';
import uPlot from 'uplot';

import {
  columnValue,
  formatNumber,
  formatValue,
  isNonFinite,
  plotNumber
} from '../../shared/format';
import { ICompareRun } from '../tokens';
import { themedAxes } from '../../shared/charts/axes';
import { Plot, PlotOptions } from '../../shared/charts/Plot';
import { IChartTheme } from '../../shared/charts/theme';

export interface IScatterPlotProps {
  runs: ICompareRun[];
  /**
   * The colour index of each run, by id.
   */
  colors: Map<string, number>;
  param: string;
  metric: string;
  height: number;
}

/**
 * How a parameter's values map to x positions.
 */
interface IAxis {
  position: (run: ICompareRun) => number | null;
  /**
   * Category names, when the parameter is not numeric.
   */
  categories: string[] | null;
  log: boolean;
}

export function ScatterPlot(props: IScatterPlotProps): JSX.Element {
  const { colors, height, metric, param, runs } = props;
  const axis = React.useMemo(() => paramAxis(runs, param), [runs, param]);

  const data = React.useMemo(
    () => scatterData(runs, axis, metric),
    [runs, axis, metric]
  );

  const optionsKey = [
    param,
    metric,
    axis.log,
    axis.categories?.join('\u0000') ?? '',
    ...runs.map(run => `${run.id}:${colors.get(run.id)}:${run.name}`)
  ].join('|');

  const options = (theme: IChartTheme): PlotOptions => {
    const [xAxis, yAxis] = themedAxes(theme);
    const categories = axis.categories;
    return {
      scales: {
        x: {
          time: false,
          distr: axis.log ? 3 : 1,
          log: 10,
          range: (u, min, max): uPlot.Range.MinMax => {
            if (categories) {
              return [-0.5, categories.length - 0.5];
            }
            if (min === max || min === null || max === null) {
              const centre = min ?? 0;
              const half = Math.abs(centre) / 2 || 1;
              return axis.log
                ? [centre / 10, centre * 10]
                : [centre - half, centre + half];
            }
            if (axis.log) {
              return [min / 2, max * 2];
            }
            const pad = (max - min) * 0.08;
            return [min - pad, max + pad];
          }
        },
        y: {
          range: (u, min, max): uPlot.Range.MinMax => {
            if (min === null || max === null) {
              return [0, 1];
            }
            const pad = (max - min) * 0.1 || Math.abs(max) * 0.1 || 1;
            return [min - pad, max + pad];
          }
        }
      },
      axes: [
        {
          ...xAxis,
          label: param,
          labelFont: theme.font,
          labelSize: 18,
          ...(categories
            ? {
                splits: () => categories.map((_, i) => i),
                values: (u: uPlot, splits: number[]) =>
                  splits.map(i => categories[i] ?? '')
              }
            : {
                // Log axes leave minor splits null, to be drawn unlabelled.
                values: (u: uPlot, splits: (number | null)[]) =>
                  splits.map(v => (v === null ? '' : formatNumber(v)))
              })
        },
        { ...yAxis, label: metric, labelFont: theme.font, labelSize: 18 }
      ],
      cursor: { drag: { x: false, y: false }, points: { size: 10 } },
      legend: { live: true },
      series: [
        {
          label: param,
          value: (u: uPlot, value: number | null) =>
            value === null || value === undefined
              ? '—'
              : categories
                ? (categories[value] ?? '')
                : formatNumber(value)
        },
        ...runs.map(run => {
          const color =
            theme.series[(colors.get(run.id) ?? 0) % theme.series.length];
          return {
            label: run.name,
            stroke: color,
            fill: color,
            paths: () => null,
            points: {
              show: true,
              size: 9,
              width: 1.5,
              stroke: theme.background,
              fill: color
            },
            value: (u: uPlot, value: number | null) =>
              value === null || value === undefined
                ? formatValue(columnValue(run, `summary.${metric}`))
                : formatNumber(value)
          } as uPlot.Series;
        })
      ]
    };
  };

  return (
    <Plot
      options={options}
      optionsKey={optionsKey}
      data={data}
      height={height}
      label={`${param} / ${metric}`}
      testId="dl-compare-scatter"
    />
  );
}

/**
 * One series per run, so each run has its colour and its legend entry; a
 * run's series holds its metric at its own x position and nothing elsewhere.
 */
function scatterData(
  runs: ICompareRun[],
  axis: IAxis,
  metric: string
): uPlot.AlignedData {
  const xs = runs.map(run => axis.position(run));
  const ys = runs.map(run => plotNumber(columnValue(run, `summary.${metric}`)));
  const positions = [
    ...new Set(xs.filter((x): x is number => x !== null))
  ].sort((a, b) => a - b);
  const table: (number | null)[][] = [positions];
  runs.forEach((run, index) => {
    table.push(positions.map(x => (x === xs[index] ? ys[index] : null)));
  });
  return table as uPlot.AlignedData;
}

function paramAxis(runs: ICompareRun[], param: string): IAxis {
  const values = runs.map(run => columnValue(run, `config.${param}`));
  const numeric = values.every(
    value =>
      value === undefined ||
      value === null ||
      typeof value === 'number' ||
      typeof value === 'boolean' ||
      isNonFinite(value)
  );
  if (numeric) {
    const finite = values
      .map(plotNumber)
      .filter((v): v is number => v !== null);
    const log =
      finite.length > 1 &&
      finite.every(v => v > 0) &&
      Math.max(...finite) / Math.min(...finite) >= 100;
    return {
      position: run => plotNumber(columnValue(run, `config.${param}`)),
      categories: null,
      log
    };
  }
  const categories = [
    ...new Set(
      values
        .filter(value => value !== undefined)
        .map(value => formatValue(value))
    )
  ].sort();
  return {
    position: run => {
      const value = columnValue(run, `config.${param}`);
      return value === undefined
        ? null
        : categories.indexOf(formatValue(value));
    },
    categories,
    log: false
  };
}
