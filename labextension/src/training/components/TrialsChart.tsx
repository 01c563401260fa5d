/**
 * A sweep's trials over time: each trial's value against its number,
 * complete ones filled, pruned ones hollow at the last value they reported,
 * failed ones in a row below the others (they have no value), and the best
 * value so far as a step line.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import uPlot from 'uplot';

import { themedAxes } from '../../shared/charts/axes';
import { Plot, PlotOptions } from '../../shared/charts/Plot';
import { IChartTheme } from '../../shared/charts/theme';
import { formatNumber, plotNumber } from '../../shared/format';
import { ISweepDetail, ITrial } from '../tokens';

export interface ITrialsChartProps {
  sweep: ISweepDetail;
  height: number;
  trans: TranslationBundle;
}

/**
 * The value a trial shows on the chart: its own, or for a pruned trial the
 * last value it reported before it was stopped.
 */
export function trialValue(trial: ITrial): number | null {
  const own = plotNumber(trial.value);
  if (own !== null || trial.state !== 'pruned') {
    return own;
  }
  for (let i = trial.intermediate.length - 1; i >= 0; i--) {
    const value = plotNumber(trial.intermediate[i][1]);
    if (value !== null) {
      return value;
    }
  }
  return null;
}

export function TrialsChart(props: ITrialsChartProps): JSX.Element {
  const { height, sweep, trans } = props;
  const data = React.useMemo(() => chartData(sweep), [sweep]);
  const options = (theme: IChartTheme): PlotOptions => {
    const [xAxis, yAxis] = themedAxes(theme);
    const point = (
      label: string,
      color: string,
      fill: string,
      size: number
    ): uPlot.Series => ({
      label,
      stroke: color,
      fill,
      paths: () => null,
      points: { show: true, size, width: 1.5, stroke: color, fill },
      value: (u: uPlot, value: number | null) =>
        value === null || value === undefined ? '—' : formatNumber(value)
    });
    return {
      scales: {
        x: {
          time: false,
          range: (u, min, max): uPlot.Range.MinMax =>
            min === null || max === null ? [0, 1] : [min - 0.5, max + 0.5]
        },
        y: {
          range: (u, min, max): uPlot.Range.MinMax => {
            if (min === null || max === null) {
              return [0, 1];
            }
            const pad = (max - min) * 0.08 || Math.abs(max) * 0.1 || 1;
            return [min - pad, max + pad];
          }
        }
      },
      axes: [
        {
          ...xAxis,
          label: trans.__('Trial'),
          labelFont: theme.font,
          labelSize: 18,
          // Trials are whole numbers.
          incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
          values: (u: uPlot, splits: number[]) =>
            splits.map(v => (Number.isInteger(v) ? String(v) : ''))
        },
        {
          ...yAxis,
          label: sweep.metric,
          labelFont: theme.font,
          labelSize: 18
        }
      ],
      cursor: { drag: { x: true, y: false }, points: { size: 10 } },
      legend: { live: true },
      series: [
        {
          label: trans.__('Trial'),
          value: (u: uPlot, value: number | null) =>
            value === null || value === undefined ? '—' : String(value)
        },
        point(trans.__('complete'), theme.series[0], theme.series[0], 8),
        point(trans.__('pruned'), theme.series[1], theme.background, 8),
        point(
          trans.__('failed (no value)'),
          theme.series[3],
          theme.series[3],
          6
        ),
        {
          label:
            sweep.mode === 'min'
              ? trans.__('lowest so far')
              : trans.__('highest so far'),
          stroke: theme.series[2],
          width: 2,
          paths: uPlot.paths.stepped?.({ align: 1 }),
          points: { show: false },
          spanGaps: true,
          value: (u: uPlot, value: number | null) =>
            value === null || value === undefined ? '—' : formatNumber(value)
        }
      ]
    };
  };
  const complete = sweep.trials.filter(t => t.state === 'complete').length;
  return (
    <div
      className="jp-DLTraining-chart"
      data-testid="dl-sweep-trials-chart"
      data-trials={sweep.trials.length}
      data-complete={complete}
    >
      <Plot
        options={options}
        optionsKey={`${sweep.id}:${sweep.metric}:${sweep.mode}`}
        data={data}
        height={height}
        label={trans.__('%1 of each trial', sweep.metric)}
      />
    </div>
  );
}

/**
 * Columns: trial number; complete, pruned and failed values; best so far.
 */
function chartData(sweep: ISweepDetail): uPlot.AlignedData {
  const trials = [...sweep.trials].sort((a, b) => a.number - b.number);
  const values = trials.map(trialValue);
  const shown = values.filter((v): v is number => v !== null);
  const better = (a: number, b: number): boolean =>
    sweep.mode === 'min' ? a < b : a > b;
  // Failed trials sit in a row of their own below every value.
  const lo = shown.length > 0 ? Math.min(...shown) : 0;
  const hi = shown.length > 0 ? Math.max(...shown) : 0;
  const floor = lo - ((hi - lo) * 0.1 || Math.abs(lo) * 0.1 || 1);
  const x: number[] = [];
  const complete: (number | null)[] = [];
  const pruned: (number | null)[] = [];
  const failed: (number | null)[] = [];
  const best: (number | null)[] = [];
  let bestSoFar: number | null = null;
  trials.forEach((trial, index) => {
    const value = values[index];
    x.push(trial.number);
    complete.push(trial.state === 'complete' ? value : null);
    pruned.push(trial.state === 'pruned' ? value : null);
    failed.push(trial.state === 'failed' ? floor : null);
    if (
      trial.state === 'complete' &&
      value !== null &&
      (bestSoFar === null || better(value, bestSoFar))
    ) {
      bestSoFar = value;
    }
    best.push(bestSoFar);
  });
  return [x, complete, pruned, failed, best] as uPlot.AlignedData;
}
