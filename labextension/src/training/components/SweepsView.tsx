/**
 * The sweeps, newest first: status, the metric and the best value so far,
 * and how many trials completed, were pruned or failed. A click or Enter
 * opens a sweep.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { Empty, ErrorBanner, Loading } from '../../shared/feedback';
import { formatTime, formatTimeAgo, formatValue } from '../../shared/format';
import { LiveList } from '../../shared/liveList';
import { useRowKeys } from '../../shared/rows';
import { ISweep } from '../tokens';
import { SweepStatusBadge } from './badges';
import { MoreButton } from './MoreButton';

export interface ISweepsViewProps {
  sweeps: LiveList<ISweep>;
  onOpen: (sweep: ISweep) => void;
  trans: TranslationBundle;
}

export function SweepsView(props: ISweepsViewProps): JSX.Element {
  const { sweeps, trans } = props;
  let body: React.ReactNode;
  if (!sweeps.isLoaded && sweeps.error === null) {
    body = <Loading text={trans.__('Loading sweeps…')} />;
  } else if (sweeps.items.length === 0 && sweeps.error === null) {
    body = (
      <Empty testId="dl-no-sweeps">
        {trans.__(
          'No sweeps yet. Start one from a notebook with dl.sweep: its trials, the best one and how the metric moved show here.'
        )}
      </Empty>
    );
  } else {
    body = (
      <>
        <SweepsTable {...props} />
        <MoreButton list={sweeps} trans={trans} />
      </>
    );
  }
  return (
    <div className="jp-DLTraining-listView" data-testid="dl-sweeps-view">
      {sweeps.error && (
        <ErrorBanner
          error={sweeps.error}
          title={trans.__('Could not load the sweeps.')}
          trans={trans}
          onRetry={() => void sweeps.reload()}
        />
      )}
      <div className="jp-DLTraining-tableScroller">{body}</div>
      <div className="jp-DLTraining-footer" data-testid="dl-sweeps-count">
        {sweeps.isLoaded &&
          (sweeps.hasMore
            ? trans.__('Showing the newest %1 sweeps', sweeps.items.length)
            : trans._n('%1 sweep', '%1 sweeps', sweeps.items.length))}
      </div>
    </div>
  );
}

function SweepsTable(props: ISweepsViewProps): JSX.Element {
  const { onOpen, sweeps, trans } = props;
  const items = sweeps.items;
  const keys = useRowKeys(
    items.length,
    index => onOpen(items[index]),
    () => void sweeps.loadMore()
  );
  return (
    <table
      className="jp-DLTraining-table"
      role="grid"
      aria-label={trans.__('Sweeps')}
      data-testid="dl-sweeps-table"
    >
      <thead>
        <tr>
          <th scope="col">{trans.__('Name')}</th>
          <th scope="col">{trans.__('Status')}</th>
          <th scope="col">{trans.__('Metric')}</th>
          <th scope="col" className="jp-mod-number">
            {trans.__('Best')}
          </th>
          <th scope="col">{trans.__('Trials')}</th>
          <th scope="col">{trans.__('Started')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((sweep, index) => (
          <tr
            key={sweep.id}
            className="jp-DLTraining-row"
            data-testid="dl-sweep-row"
            data-sweep-id={sweep.id}
            data-status={sweep.status}
            onClick={() => onOpen(sweep)}
            {...keys.rowProps(index)}
          >
            <td className="jp-DLTraining-nameCell">
              <span className="jp-DLTraining-name" title={sweep.project}>
                {sweep.name}
              </span>
            </td>
            <td>
              <SweepStatusBadge status={sweep.status} trans={trans} />
            </td>
            <td>
              <MetricGoal sweep={sweep} trans={trans} />
            </td>
            <td className="jp-mod-number" data-testid="dl-sweep-best">
              {sweep.best ? formatValue(sweep.best.value) : '—'}
            </td>
            <td>
              <TrialCounts sweep={sweep} trans={trans} />
            </td>
            <td title={formatTime(sweep.created_at)}>
              {formatTimeAgo(sweep.created_at)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The metric and which way is better, e.g. `val_loss ↓`.
 */
export function MetricGoal(props: {
  sweep: ISweep;
  trans: TranslationBundle;
}): JSX.Element {
  const { sweep, trans } = props;
  return (
    <span
      className="jp-DLTraining-metric"
      title={
        sweep.mode === 'min'
          ? trans.__('Lower %1 is better', sweep.metric)
          : trans.__('Higher %1 is better', sweep.metric)
      }
    >
      <code>{sweep.metric}</code>
      <span aria-hidden="true">{sweep.mode === 'min' ? ' ↓' : ' ↑'}</span>
    </span>
  );
}

/**
 * Trials by state, e.g. `7 complete · 2 pruned · 1 failed of 10`.
 */
export function TrialCounts(props: {
  sweep: ISweep;
  trans: TranslationBundle;
}): JSX.Element {
  const { sweep, trans } = props;
  const { complete = 0, failed = 0, pruned = 0, running = 0 } = sweep.counts;
  const parts: string[] = [trans.__('%1 complete', complete)];
  if (pruned) {
    parts.push(trans.__('%1 pruned', pruned));
  }
  if (failed) {
    parts.push(trans.__('%1 failed', failed));
  }
  if (running) {
    parts.push(trans.__('%1 running', running));
  }
  return (
    <span className="jp-DLTraining-counts" data-testid="dl-sweep-counts">
      {trans.__('%1 of %2', parts.join(' · '), sweep.trials_requested)}
    </span>
  );
}
