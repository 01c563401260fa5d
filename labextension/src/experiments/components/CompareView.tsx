/**
 * Several runs side by side: a legend naming each run in its colour, one
 * chart per metric with the runs' curves overlaid, and a plot of a
 * parameter against a metric (scatter or parallel coordinates).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CompareModel, ParamsPlotKind } from '../compareModel';
import { SYSTEM_PREFIX } from '../runModel';
import { ICompareRun } from '../tokens';
import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';
import { ILineSeries, LineChart } from './LineChart';
import { ParallelCoordinates } from '../../shared/charts/ParallelCoordinates';
import { CHART_HEIGHT } from './RunCharts';
import { ScatterPlot } from './ScatterPlot';
import { StatusBadge } from './StatusBadge';
import { seriesColorVar } from '../../shared/charts/theme';

const PARAMS_PLOT_HEIGHT = 300;

export interface ICompareViewProps {
  model: CompareModel;
  onOpen: (id: string) => void;
  trans: TranslationBundle;
}

export function CompareView(props: ICompareViewProps): JSX.Element {
  const { model, onOpen, trans } = props;
  const [highlighted, setHighlighted] = React.useState<string | null>(null);
  const runs = model.runs;
  const colors = React.useMemo(
    () => new Map(model.ids.map((id, index) => [id, index])),
    [model.ids]
  );

  if (model.result === null) {
    return (
      <div
        className="jp-DLExperiments-compareView"
        data-testid="dl-compare-view"
      >
        {model.error ? (
          <ErrorBanner
            error={model.error}
            title={trans.__('Could not compare the runs.')}
            trans={trans}
          />
        ) : (
          <Loading text={trans.__('Loading %1 runs…', model.ids.length)} />
        )}
      </div>
    );
  }

  const keys = model.metricKeys;
  const own = keys.filter(key => !key.startsWith(SYSTEM_PREFIX));
  const system = keys.filter(key => key.startsWith(SYSTEM_PREFIX));
  const onWidth = (width: number): void => {
    model.points = width;
  };

  return (
    <div className="jp-DLExperiments-compareView" data-testid="dl-compare-view">
      <header className="jp-DLExperiments-compareHeader">
        <h2 className="jp-DLExperiments-runTitle">
          {trans._n('Comparing %1 run', 'Comparing %1 runs', runs.length)}
        </h2>
        <span className="jp-DLPanel-spacer" />
        {model.isLoading && <Spinner label={trans.__('Refreshing')} />}
      </header>
      <ul
        className="jp-DLExperiments-legend"
        aria-label={trans.__('Compared runs')}
        data-testid="dl-compare-legend"
      >
        {runs.map(run => (
          <li
            key={run.id}
            className={
              'jp-DLExperiments-legendItem' +
              (highlighted === run.id ? ' jp-mod-highlighted' : '')
            }
            onMouseEnter={() => setHighlighted(run.id)}
            onMouseLeave={() => setHighlighted(null)}
          >
            <span
              className="jp-DLExperiments-swatch"
              style={{ background: seriesColorVar(colors.get(run.id) ?? 0) }}
            />
            <button
              type="button"
              className="jp-DLPanel-linkButton"
              onClick={() => onOpen(run.id)}
              title={trans.__('Open run %1 (%2)', run.name, run.id)}
              data-testid="dl-compare-run"
            >
              {run.name}
            </button>
            <StatusBadge status={run.status} trans={trans} />
          </li>
        ))}
      </ul>
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('Could not refresh the comparison.')}
          trans={trans}
        />
      )}
      <section
        className="jp-DLExperiments-compareSection"
        aria-label={trans.__('Metrics')}
      >
        <h3 className="jp-DLExperiments-subheading">{trans.__('Metrics')}</h3>
        {keys.length === 0 ? (
          <Empty>{trans.__('None of the runs logged metrics.')}</Empty>
        ) : (
          <div className="jp-DLExperiments-chartGrid">
            {own.map(key => (
              <CompareChart
                key={key}
                metric={key}
                model={model}
                runs={runs}
                colors={colors}
                onWidth={onWidth}
                trans={trans}
              />
            ))}
          </div>
        )}
        {system.length > 0 && (
          <>
            <h3 className="jp-DLExperiments-subheading">
              {trans.__('System')}
            </h3>
            <div className="jp-DLExperiments-chartGrid">
              {system.map(key => (
                <CompareChart
                  key={key}
                  metric={key}
                  title={key.slice(SYSTEM_PREFIX.length)}
                  model={model}
                  runs={runs}
                  colors={colors}
                  onWidth={onWidth}
                  trans={trans}
                />
              ))}
            </div>
          </>
        )}
      </section>
      <ParamsSection
        model={model}
        runs={runs}
        colors={colors}
        highlighted={highlighted}
        onHighlight={setHighlighted}
        trans={trans}
      />
    </div>
  );
}

function CompareChart(props: {
  metric: string;
  title?: string;
  model: CompareModel;
  runs: ICompareRun[];
  colors: Map<string, number>;
  onWidth: (width: number) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { colors, metric, model, onWidth, runs, trans } = props;
  const bySeries = model.result?.series[metric];
  const series = React.useMemo(() => {
    const lines: ILineSeries[] = [];
    for (const run of runs) {
      const data = bySeries?.[run.id];
      if (data) {
        lines.push({
          id: run.id,
          label: run.name,
          color: colors.get(run.id) ?? 0,
          steps: data.steps,
          values: data.values
        });
      }
    }
    return lines;
  }, [bySeries, runs, colors]);
  return (
    <figure
      className="jp-DLExperiments-chartCard"
      data-testid="dl-compare-chart"
      data-metric={metric}
      data-runs={series.length}
    >
      <figcaption className="jp-DLExperiments-chartHeader">
        <span className="jp-DLExperiments-chartTitle" title={metric}>
          {props.title ?? metric}
        </span>
      </figcaption>
      <LineChart
        series={series}
        metric={metric}
        stepLabel={trans.__('step')}
        height={CHART_HEIGHT}
        onWidth={onWidth}
        testId="dl-compare-plot"
      />
    </figure>
  );
}

function ParamsSection(props: {
  model: CompareModel;
  runs: ICompareRun[];
  colors: Map<string, number>;
  highlighted: string | null;
  onHighlight: (id: string | null) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { colors, highlighted, model, onHighlight, runs, trans } = props;
  const params = model.paramKeys;
  const metrics = model.summaryKeys;
  const param = model.paramKey;
  const metric = model.metricKey;
  const kinds: { id: ParamsPlotKind; label: string }[] = [
    { id: 'scatter', label: trans.__('Scatter') },
    { id: 'parallel', label: trans.__('Parallel coordinates') }
  ];

  let plot: React.ReactNode;
  if (params.length === 0 || metrics.length === 0) {
    plot = (
      <Empty testId="dl-compare-no-params">
        {params.length === 0
          ? trans.__('The runs have no config to compare.')
          : trans.__('The runs have no summary metrics to compare.')}
      </Empty>
    );
  } else if (model.plotKind === 'scatter' && param && metric) {
    plot = (
      <ScatterPlot
        runs={runs}
        colors={colors}
        param={param}
        metric={metric}
        height={PARAMS_PLOT_HEIGHT}
      />
    );
  } else {
    plot = (
      <ParallelCoordinates
        lines={runs}
        color={id => seriesColorVar(colors.get(id) ?? 0)}
        params={model.parallelParams}
        metric={metric}
        height={PARAMS_PLOT_HEIGHT}
        highlighted={highlighted}
        onHighlight={onHighlight}
        testId="dl-compare-parallel"
      />
    );
  }

  return (
    <section
      className="jp-DLExperiments-compareSection"
      aria-label={trans.__('Parameters against a metric')}
      data-testid="dl-compare-params"
    >
      <h3 className="jp-DLExperiments-subheading">
        {trans.__('Parameters and metric')}
      </h3>
      <div className="jp-DLExperiments-plotControls">
        <div
          className="jp-DLExperiments-segmented"
          role="radiogroup"
          aria-label={trans.__('Plot')}
        >
          {kinds.map(kind => (
            <button
              key={kind.id}
              type="button"
              role="radio"
              aria-checked={model.plotKind === kind.id}
              className={
                'jp-DLExperiments-segment' +
                (model.plotKind === kind.id ? ' jp-mod-current' : '')
              }
              onClick={() => {
                model.plotKind = kind.id;
              }}
              data-testid={`dl-compare-plot-${kind.id}`}
            >
              {kind.label}
            </button>
          ))}
        </div>
        {model.plotKind === 'scatter' && (
          <label className="jp-DLExperiments-field">
            <span className="jp-DLExperiments-fieldLabel">
              {trans.__('Parameter')}
            </span>
            <HTMLSelect
              value={param ?? ''}
              options={params}
              disabled={params.length === 0}
              onChange={event => {
                model.paramKey = event.target.value;
              }}
              aria-label={trans.__('Parameter on the x axis')}
              data-testid="dl-compare-param"
            />
          </label>
        )}
        <label className="jp-DLExperiments-field">
          <span className="jp-DLExperiments-fieldLabel">
            {trans.__('Metric')}
          </span>
          <HTMLSelect
            value={metric ?? ''}
            options={metrics}
            disabled={metrics.length === 0}
            onChange={event => {
              model.metricKey = event.target.value;
            }}
            aria-label={trans.__('Summary metric')}
            data-testid="dl-compare-metric"
          />
        </label>
      </div>
      {model.plotKind === 'parallel' && params.length > 0 && (
        <fieldset className="jp-DLExperiments-paramChoices">
          <legend>{trans.__('Axes')}</legend>
          {params.map(key => (
            <label key={key} className="jp-DLExperiments-columnChoice">
              <input
                type="checkbox"
                checked={model.parallelParams.includes(key)}
                onChange={() => model.toggleParallelParam(key)}
              />
              <span>{key}</span>
            </label>
          ))}
        </fieldset>
      )}
      <div className="jp-DLExperiments-paramsPlot">{plot}</div>
    </section>
  );
}
