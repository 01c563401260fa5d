/**
 * One sweep: its best trial (parameters, value, run), the trials over time,
 * the parameters against the metric in parallel coordinates, and every
 * trial in a table whose rows open the trial's run.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { stopIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  IParallelLine,
  ParallelCoordinates
} from '../../shared/charts/ParallelCoordinates';
import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';
import {
  formatDuration,
  formatTime,
  formatTimeAgo,
  formatValue,
  formatValueFull
} from '../../shared/format';
import { useRowKeys } from '../../shared/rows';
import { SweepModel } from '../sweepModel';
import { ISweepDetail, ITrial } from '../tokens';
import { SweepStatusBadge, TrialStateBadge } from './badges';
import { MetricGoal, TrialCounts } from './SweepsView';
import { trialValue, TrialsChart } from './TrialsChart';

const CHART_HEIGHT = 260;

export interface ISweepViewProps {
  model: SweepModel;
  onOpenRun: (id: string, project: string) => void;
  trans: TranslationBundle;
}

export function SweepView(props: ISweepViewProps): JSX.Element {
  const { model, onOpenRun, trans } = props;
  const sweep = model.sweep;
  if (sweep === null) {
    return (
      <div className="jp-DLTraining-detail" data-testid="dl-sweep-view">
        {model.error ? (
          <ErrorBanner
            error={model.error}
            title={trans.__('Could not load sweep %1.', model.id)}
            trans={trans}
            onRetry={() => void model.refresh()}
          />
        ) : (
          <Loading text={trans.__('Loading the sweep…')} />
        )}
      </div>
    );
  }
  const openRun = (id: string): void => onOpenRun(id, sweep.project);
  return (
    <div
      className="jp-DLTraining-detail"
      data-testid="dl-sweep-view"
      data-sweep-id={sweep.id}
      data-status={sweep.status}
    >
      <header className="jp-DLTraining-header">
        <h2 className="jp-DLTraining-title" data-testid="dl-sweep-name">
          {sweep.name}
        </h2>
        <SweepStatusBadge status={sweep.status} trans={trans} />
        <span className="jp-DLPanel-spacer" />
        {model.isLoading && <Spinner label={trans.__('Refreshing')} />}
        {sweep.status === 'running' && (
          <button
            type="button"
            className="jp-DLPanel-button jp-mod-warn"
            disabled={model.isCancelling}
            onClick={() => void cancelSweep(model, sweep, trans)}
            title={trans.__('Stop the sweep and its running trials')}
            data-testid="dl-sweep-cancel"
          >
            <stopIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
            <span>
              {model.isCancelling
                ? trans.__('Cancelling…')
                : trans.__('Cancel')}
            </span>
          </button>
        )}
      </header>
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('Could not refresh the sweep.')}
          trans={trans}
        />
      )}
      {model.cancelError && (
        <ErrorBanner
          error={model.cancelError}
          title={trans.__('Could not cancel the sweep.')}
          trans={trans}
        />
      )}
      <SweepFacts sweep={sweep} trans={trans} />
      {sweep.error && (
        <pre className="jp-DLTraining-error" data-testid="dl-sweep-error">
          {sweep.error}
        </pre>
      )}
      <BestTrial sweep={sweep} onOpenRun={openRun} trans={trans} />
      <section
        className="jp-DLTraining-section"
        aria-label={trans.__('Trials over time')}
      >
        <h3 className="jp-DLTraining-subheading">
          {trans.__('Trials over time')}
        </h3>
        {sweep.trials.length === 0 ? (
          <Empty>{trans.__('No trial has started yet.')}</Empty>
        ) : (
          <div className="jp-DLTraining-chartFrame">
            <TrialsChart sweep={sweep} height={CHART_HEIGHT} trans={trans} />
          </div>
        )}
      </section>
      <ParamsSection sweep={sweep} trans={trans} />
      <TrialsTable sweep={sweep} onOpenRun={openRun} trans={trans} />
    </div>
  );
}

/**
 * Cancel after the user confirms.
 */
async function cancelSweep(
  model: SweepModel,
  sweep: ISweepDetail,
  trans: TranslationBundle
): Promise<void> {
  const result = await showDialog({
    title: trans.__('Cancel %1?', sweep.name),
    body: trans.__(
      'No new trials start, and the %1 running are stopped. Finished trials and their runs stay.',
      sweep.counts.running ?? 0
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep running') }),
      Dialog.warnButton({ label: trans.__('Cancel sweep') })
    ]
  });
  if (result.button.accept) {
    await model.cancel();
  }
}

function SweepFacts(props: {
  sweep: ISweepDetail;
  trans: TranslationBundle;
}): JSX.Element {
  const { sweep, trans } = props;
  const facts: [string, React.ReactNode, string?][] = [
    [
      trans.__('Metric'),
      <MetricGoal key="metric" sweep={sweep} trans={trans} />
    ],
    [
      trans.__('Trials'),
      <TrialCounts key="counts" sweep={sweep} trans={trans} />
    ],
    [trans.__('In parallel'), String(sweep.parallel)],
    [trans.__('Sampler'), sweep.sampler ?? '—'],
    [trans.__('Pruner'), sweep.pruner ?? '—'],
    [trans.__('Backend'), sweep.backend],
    [trans.__('Project'), sweep.project],
    [
      trans.__('Started'),
      formatTimeAgo(sweep.created_at),
      formatTime(sweep.created_at)
    ]
  ];
  if (sweep.ended_at) {
    facts.push([
      trans.__('Ended'),
      formatTimeAgo(sweep.ended_at),
      formatTime(sweep.ended_at)
    ]);
  }
  return (
    <dl className="jp-DLTraining-facts" data-testid="dl-sweep-facts">
      {facts.map(([label, value, title]) => (
        <div className="jp-DLTraining-fact" key={label}>
          <dt>{label}</dt>
          <dd title={title}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function BestTrial(props: {
  sweep: ISweepDetail;
  onOpenRun: (id: string) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { onOpenRun, sweep, trans } = props;
  const best = sweep.best;
  return (
    <section
      className="jp-DLTraining-section"
      aria-label={trans.__('Best trial')}
      data-testid="dl-sweep-best-trial"
    >
      <h3 className="jp-DLTraining-subheading">{trans.__('Best trial')}</h3>
      {best === null ? (
        <Empty>{trans.__('No trial has completed yet.')}</Empty>
      ) : (
        <div className="jp-DLTraining-best">
          <div className="jp-DLTraining-bestValue">
            <span className="jp-DLTraining-bestLabel">
              {trans.__('Trial %1', best.number)}
            </span>
            <span
              className="jp-DLTraining-bestNumber"
              data-testid="dl-sweep-best-value"
              title={formatValueFull(best.value)}
            >
              {formatValue(best.value)}
            </span>
            <code className="jp-DLTraining-bestMetric">{sweep.metric}</code>
            {best.run_id && (
              <button
                type="button"
                className="jp-DLPanel-linkButton"
                onClick={() => onOpenRun(best.run_id as string)}
                title={trans.__(
                  'Open run %1 in the Experiments panel',
                  best.run_id
                )}
                data-testid="dl-sweep-best-run"
              >
                {trans.__('Open run')}
              </button>
            )}
          </div>
          <table
            className="jp-DLTraining-params"
            aria-label={trans.__('Parameters of the best trial')}
          >
            <tbody>
              {Object.entries(best.params).map(([key, value]) => (
                <tr key={key}>
                  <th scope="row">{key}</th>
                  <td title={formatValueFull(value)}>{formatValue(value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/**
 * The parameter names of a sweep: its search space's, then any others its
 * trials used.
 */
function paramNames(sweep: ISweepDetail): string[] {
  const names = new Set(Object.keys(sweep.space ?? {}));
  for (const trial of sweep.trials) {
    for (const key of Object.keys(trial.params)) {
      names.add(key);
    }
  }
  return [...names];
}

function ParamsSection(props: {
  sweep: ISweepDetail;
  trans: TranslationBundle;
}): JSX.Element {
  const { sweep, trans } = props;
  const [highlighted, setHighlighted] = React.useState<string | null>(null);
  const params = paramNames(sweep);
  const sign = sweep.mode === 'min' ? -1 : 1;
  // Worst first, so the better trials are drawn over the worse.
  const lines: IParallelLine[] = sweep.trials
    .filter(trial => trial.state === 'complete' && trialValue(trial) !== null)
    .sort(
      (a, b) => sign * ((trialValue(a) as number) - (trialValue(b) as number))
    )
    .map(trial => ({
      id: String(trial.number),
      name: trans.__(
        'Trial %1: %2',
        trial.number,
        formatValue(trial.value ?? null)
      ),
      config: trial.params,
      summary: { [sweep.metric]: trialValue(trial) }
    }));
  const color = React.useMemo(() => valueColors(sweep), [sweep]);
  return (
    <section
      className="jp-DLTraining-section"
      aria-label={trans.__('Parameters and %1', sweep.metric)}
    >
      <h3 className="jp-DLTraining-subheading">
        {trans.__('Parameters and %1', sweep.metric)}
      </h3>
      {lines.length === 0 || params.length === 0 ? (
        <Empty>
          {params.length === 0
            ? trans.__('The sweep has no parameters to show.')
            : trans.__('No trial has completed yet.')}
        </Empty>
      ) : (
        <div className="jp-DLTraining-chartFrame">
          <ParallelCoordinates
            lines={lines}
            color={id => color.get(id) ?? 'var(--jp-ui-font-color3)'}
            params={params}
            metric={sweep.metric}
            height={CHART_HEIGHT}
            highlighted={highlighted}
            onHighlight={setHighlighted}
            testId="dl-sweep-parallel"
          />
          <p className="jp-DLTraining-chartNote">
            {trans.__(
              'One line per complete trial; the better its %1, the stronger its colour. The best trial is drawn on top.',
              sweep.metric
            )}
          </p>
        </div>
      )}
    </section>
  );
}

/**
 * A colour per complete trial, from the theme's brand colour (best) to a
 * faint one (worst), mixed in CSS so it follows the theme.
 */
function valueColors(sweep: ISweepDetail): Map<string, string> {
  const scored = sweep.trials
    .filter(trial => trial.state === 'complete')
    .map(trial => [String(trial.number), trialValue(trial)] as const)
    .filter((entry): entry is readonly [string, number] => entry[1] !== null);
  const values = scored.map(([, value]) => value);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const colors = new Map<string, string>();
  for (const [id, value] of scored) {
    const t = hi === lo ? 1 : (value - lo) / (hi - lo);
    const goodness = sweep.mode === 'min' ? 1 - t : t;
    const share = Math.round(20 + 80 * goodness);
    colors.set(
      id,
      `color-mix(in srgb, var(--jp-brand-color1) ${share}%, var(--jp-layout-color3))`
    );
  }
  return colors;
}

function TrialsTable(props: {
  sweep: ISweepDetail;
  onOpenRun: (id: string) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { onOpenRun, sweep, trans } = props;
  const trials = [...sweep.trials].sort((a, b) => b.number - a.number);
  const params = paramNames(sweep);
  const open = (trial: ITrial): void => {
    if (trial.run_id) {
      onOpenRun(trial.run_id);
    }
  };
  const keys = useRowKeys(trials.length, index => open(trials[index]));
  return (
    <section className="jp-DLTraining-section" aria-label={trans.__('Trials')}>
      <h3 className="jp-DLTraining-subheading">{trans.__('Trials')}</h3>
      {trials.length === 0 ? (
        <Empty>{trans.__('No trial has started yet.')}</Empty>
      ) : (
        <div className="jp-DLTraining-tableFrame">
          <table
            className="jp-DLTraining-table"
            role="grid"
            aria-label={trans.__('Trials of %1', sweep.name)}
            data-testid="dl-sweep-trials"
          >
            <thead>
              <tr>
                <th scope="col" className="jp-mod-number">
                  #
                </th>
                <th scope="col">{trans.__('State')}</th>
                <th scope="col" className="jp-mod-number">
                  {sweep.metric}
                </th>
                {params.map(key => (
                  <th scope="col" className="jp-mod-number" key={key}>
                    {key}
                  </th>
                ))}
                <th scope="col" className="jp-mod-number">
                  {trans.__('Duration')}
                </th>
              </tr>
            </thead>
            <tbody>
              {trials.map((trial, index) => (
                <tr
                  key={trial.number}
                  className={
                    'jp-DLTraining-row' +
                    (trial.number === sweep.best?.number ? ' jp-mod-best' : '')
                  }
                  data-testid="dl-trial-row"
                  data-state={trial.state}
                  title={
                    trial.error ??
                    (trial.run_id
                      ? trans.__('Open the trial’s run')
                      : undefined)
                  }
                  onClick={() => open(trial)}
                  {...keys.rowProps(index)}
                >
                  <td className="jp-mod-number">{trial.number}</td>
                  <td>
                    <TrialStateBadge state={trial.state} trans={trans} />
                  </td>
                  <td className="jp-mod-number">
                    {trial.value === null ? '—' : formatValue(trial.value)}
                  </td>
                  {params.map(key => (
                    <td className="jp-mod-number" key={key}>
                      {formatValue(trial.params[key])}
                    </td>
                  ))}
                  <td className="jp-mod-number">
                    {formatDuration(trial.duration)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
