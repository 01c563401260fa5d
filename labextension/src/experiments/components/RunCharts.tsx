/**
 * One chart per metric of a run, the run's own metrics first and the
 * machine's (`system/...`) in a section of their own.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatNumber, formatValue } from '../../shared/format';
import { RunModel, SYSTEM_PREFIX } from '../runModel';
import { IMetricInfo } from '../tokens';
import { Empty, Spinner } from '../../shared/feedback';
import { LineChart } from './LineChart';

/**
 * The height of a chart's plot area in pixels.
 */
export const CHART_HEIGHT = 180;

export interface IRunChartsProps {
  model: RunModel;
  trans: TranslationBundle;
}

export function RunCharts(props: IRunChartsProps): JSX.Element {
  const { model, trans } = props;
  const metrics = model.run?.metrics ?? [];
  if (metrics.length === 0) {
    return (
      <Empty testId="dl-run-no-metrics">
        {trans.__('The run has logged no metrics yet.')}
      </Empty>
    );
  }
  const own = metrics.filter(m => !m.key.startsWith(SYSTEM_PREFIX));
  const system = metrics.filter(m => m.key.startsWith(SYSTEM_PREFIX));
  const onWidth = (width: number): void => {
    model.points = width;
  };
  return (
    <div className="jp-DLExperiments-charts" data-testid="dl-run-charts">
      {own.length > 0 && (
        <div className="jp-DLExperiments-chartGrid">
          {own.map(metric => (
            <MetricCard
              key={metric.key}
              metric={metric}
              model={model}
              onWidth={onWidth}
              trans={trans}
            />
          ))}
        </div>
      )}
      {system.length > 0 && (
        <section
          className="jp-DLExperiments-chartSection"
          aria-label={trans.__('System metrics')}
          data-testid="dl-run-system-charts"
        >
          <h3 className="jp-DLExperiments-subheading">{trans.__('System')}</h3>
          <div className="jp-DLExperiments-chartGrid">
            {system.map(metric => (
              <MetricCard
                key={metric.key}
                metric={metric}
                model={model}
                onWidth={onWidth}
                trans={trans}
                title={metric.key.slice(SYSTEM_PREFIX.length)}
              />
            ))}
          </div>
        </section>
      )}
    </div>
  );
}

function MetricCard(props: {
  metric: IMetricInfo;
  model: RunModel;
  onWidth: (width: number) => void;
  trans: TranslationBundle;
  title?: string;
}): JSX.Element {
  const { metric, model, onWidth, trans } = props;
  const series = model.series(metric.key);
  const error = model.seriesError(metric.key);
  const name = model.run?.name ?? model.id;
  const lines = React.useMemo(
    () =>
      series === null
        ? []
        : [
            {
              id: model.id,
              label: name,
              color: 0,
              steps: series.steps,
              values: series.values
            }
          ],
    [series, name]
  );
  return (
    <figure
      className="jp-DLExperiments-chartCard"
      data-testid="dl-metric-chart"
      data-metric={metric.key}
      data-points={series?.steps.length ?? 0}
    >
      <figcaption className="jp-DLExperiments-chartHeader">
        <span className="jp-DLExperiments-chartTitle" title={metric.key}>
          {props.title ?? metric.key}
        </span>
        <span
          className="jp-DLExperiments-chartLast"
          title={trans.__('Last value, at step %1', metric.last_step ?? '')}
        >
          {formatValue(metric.last ?? undefined)}
        </span>
      </figcaption>
      {error ? (
        <div className="jp-DLExperiments-chartError" role="alert">
          {error.message}
        </div>
      ) : series === null ? (
        <div
          className="jp-DLExperiments-chartPlaceholder"
          style={{ height: `${CHART_HEIGHT}px` }}
        >
          <Spinner label={trans.__('Loading %1', metric.key)} />
        </div>
      ) : (
        <LineChart
          series={lines}
          metric={metric.key}
          stepLabel={trans.__('step')}
          height={CHART_HEIGHT}
          onWidth={onWidth}
          testId="dl-metric-plot"
        />
      )}
      {series?.downsampled && (
        <div className="jp-DLExperiments-chartNote">
          {trans.__(
            '%1 of %2 points',
            formatNumber(series.steps.length),
            formatNumber(series.total)
          )}
        </div>
      )}
    </figure>
  );
}
