/**
 * A running deployment at a glance: its totals now, and charts of its
 * throughput, latency (median and 95th percentile) and mean batch size
 * over the time the panel has watched it, one point per reading.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import uPlot from 'uplot';

import { themedAxes } from '../../shared/charts/axes';
import { Plot, PlotOptions } from '../../shared/charts/Plot';
import { IChartTheme } from '../../shared/charts/theme';
import { Empty, ErrorBanner } from '../../shared/feedback';
import { formatNumber } from '../../shared/format';
import { DeploymentModel, MONITOR_INTERVAL_MS } from '../deploymentModel';
import { totalRequests } from '../monitoring';

/**
 * The height of a chart's plot area in pixels.
 */
const CHART_HEIGHT = 120;

interface ILine {
  label: string;
  values: (number | null)[];
  color: number;
}

export function MonitoringCharts(props: {
  model: DeploymentModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const series = model.series;
  const latest = model.latest;
  const last = (values: (number | null)[]): string => {
    const value = values[values.length - 1];
    return value === null || value === undefined ? '—' : formatNumber(value);
  };
  const running = model.deployment?.status === 'running';

  const stats: { label: string; value: string; testId: string }[] = latest
    ? [
        {
          label: trans.__('Requests'),
          value: formatNumber(totalRequests(latest)),
          testId: 'dl-monitor-requests'
        },
        {
          label: trans.__('Errors'),
          value: formatNumber(latest.errors),
          testId: 'dl-monitor-errors'
        },
        {
          label: trans.__('In flight'),
          value: formatNumber(latest.in_flight),
          testId: 'dl-monitor-in-flight'
        },
        {
          label: trans.__('Requests/s'),
          value: last(series.throughput),
          testId: 'dl-monitor-throughput'
        },
        {
          label: trans.__('p50 / p95 ms'),
          value: `${last(series.p50)} / ${last(series.p95)}`,
          testId: 'dl-monitor-latency'
        }
      ]
    : [];

  let charts: React.ReactNode;
  if (series.times.length === 0) {
    charts = (
      <Empty testId="dl-monitor-empty">
        {running
          ? trans.__(
              'Charts start with the second reading; the counters are read every %1 seconds while this page is on show.',
              MONITOR_INTERVAL_MS / 1000
            )
          : trans.__('Monitoring charts show while the deployment runs.')}
      </Empty>
    );
  } else {
    charts = (
      <div className="jp-DLModels-chartGrid">
        <Chart
          title={trans.__('Throughput (requests/s)')}
          metric="throughput"
          times={series.times}
          lines={[
            {
              label: trans.__('requests/s'),
              values: series.throughput,
              color: 0
            }
          ]}
        />
        <Chart
          title={trans.__('Latency (ms)')}
          metric="latency"
          times={series.times}
          lines={[
            { label: trans.__('p50'), values: series.p50, color: 0 },
            { label: trans.__('p95'), values: series.p95, color: 1 }
          ]}
        />
        <Chart
          title={trans.__('Mean batch size')}
          metric="batch"
          times={series.times}
          lines={[{ label: trans.__('batch'), values: series.batch, color: 2 }]}
        />
      </div>
    );
  }

  return (
    <section
      className="jp-DLModels-monitoring"
      aria-label={trans.__('Monitoring')}
      data-testid="dl-monitoring"
    >
      <h3 className="jp-DLModels-subheading">{trans.__('Monitoring')}</h3>
      {model.metricsError && (
        <ErrorBanner
          error={model.metricsError}
          title={trans.__('Could not read the counters.')}
          trans={trans}
        />
      )}
      {stats.length > 0 && (
        <dl className="jp-DLModels-stats">
          {stats.map(stat => (
            <div className="jp-DLModels-stat" key={stat.testId}>
              <dt>{stat.label}</dt>
              <dd data-testid={stat.testId}>{stat.value}</dd>
            </div>
          ))}
        </dl>
      )}
      {charts}
    </section>
  );
}

/**
 * Seconds between the time axis' ticks: whole seconds, so that a few
 * readings two seconds apart are not labelled in fractions.
 */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/**
 * Unix seconds as a time of day, e.g. `14:05:32`.
 */
function clockTime(seconds: number): string {
  return new Date(seconds * 1000).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit'
  });
}

/**
 * The themed axes with the time of day along x.
 */
function timeAxes(theme: IChartTheme): uPlot.Axis[] {
  const [x, y] = themedAxes(theme);
  return [
    {
      ...x,
      incrs: TIME_STEPS,
      space: 70,
      values: (u, splits) => splits.map(clockTime)
    },
    y
  ];
}

function Chart(props: {
  title: string;
  metric: string;
  times: number[];
  lines: ILine[];
}): JSX.Element {
  const { lines, metric, times, title } = props;
  // The arrays are new with every reading, and only then.
  const data = React.useMemo(
    () => [times, ...lines.map(line => line.values)] as uPlot.AlignedData,
    [times, ...lines.map(line => line.values)]
  );
  const points = lines[0].values.filter(value => value !== null).length;
  const optionsKey = lines.map(line => `${line.label}:${line.color}`).join();
  const options = (theme: IChartTheme): PlotOptions => ({
    scales: { x: { time: true } },
    axes: timeAxes(theme),
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    series: [
      {
        value: (u: uPlot, value: number | null) =>
          value === null || value === undefined ? '—' : clockTime(value)
      },
      ...lines.map(line => ({
        label: line.label,
        stroke: theme.series[line.color % theme.series.length],
        width: 1.5,
        spanGaps: false,
        points: { show: true, size: 3 },
        value: (u: uPlot, value: number | null) =>
          value === null || value === undefined ? '—' : formatNumber(value)
      }))
    ]
  });
  return (
    <div
      className="jp-DLModels-chart"
      data-testid="dl-monitor-chart"
      data-metric={metric}
      data-points={points}
    >
      <h4 className="jp-DLModels-cardTitle">{title}</h4>
      <Plot
        options={options}
        optionsKey={optionsKey}
        data={data}
        height={CHART_HEIGHT}
        label={title}
      />
    </div>
  );
}
