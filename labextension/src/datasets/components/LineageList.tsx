/**
 * Lineage: the runs that used the version on show, most recent use first;
 * each opens in the Experiments panel.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { StatusBadge } from '../../experiments/components/StatusBadge';
import { formatTime, formatTimeAgo } from '../../shared/format';
import { DatasetModel } from '../datasetModel';
import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';

export interface ILineageListProps {
  model: DatasetModel;
  onOpenRun: (id: string, project: string) => void;
  trans: TranslationBundle;
}

export function LineageList(props: ILineageListProps): JSX.Element | null {
  const { model, onOpenRun, trans } = props;
  const runs = model.runs;
  const version = model.version;
  if (runs === null || version === null) {
    return null;
  }
  if (!runs.isLoaded) {
    return runs.error ? (
      <ErrorBanner
        error={runs.error}
        title={trans.__('Could not load the runs that used %1.', version.ref)}
        trans={trans}
        onRetry={() => void runs.reload()}
      />
    ) : (
      <Loading text={trans.__('Loading runs…')} />
    );
  }
  if (runs.items.length === 0) {
    return (
      <Empty testId="dl-lineage-empty">
        {trans.__(
          'No tracked run used %1@%2 yet. A run started with dl.init() records the versions it opens with dl.dataset().',
          model.name,
          version.ref
        )}
      </Empty>
    );
  }
  return (
    <div className="jp-DLDatasets-lineage">
      <table
        className="jp-DLDatasets-table jp-mod-lineage"
        aria-label={trans.__('Runs that used %1@%2', model.name, version.ref)}
        data-testid="dl-lineage"
      >
        <thead>
          <tr>
            <th scope="col">{trans.__('Run')}</th>
            <th scope="col">{trans.__('Project')}</th>
            <th scope="col">{trans.__('Status')}</th>
            <th scope="col">{trans.__('Used')}</th>
          </tr>
        </thead>
        <tbody>
          {runs.items.map(run => (
            <tr key={run.id} data-testid="dl-lineage-run" data-run-id={run.id}>
              <td>
                <button
                  type="button"
                  className="jp-DLPanel-linkButton"
                  onClick={() => onOpenRun(run.id, run.project)}
                  title={trans.__('Open %1 in Experiments', run.name)}
                  data-testid="dl-lineage-open"
                >
                  {run.name}
                </button>
              </td>
              <td>{run.project}</td>
              <td>
                <StatusBadge status={run.status} trans={trans} />
              </td>
              <td title={formatTime(run.used_at)}>
                {formatTimeAgo(run.used_at)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.hasMore && (
        <div className="jp-DLDatasets-more">
          <button
            type="button"
            className="jp-DLPanel-button"
            disabled={runs.isLoading}
            onClick={() => void model.loadMoreRuns()}
          >
            {runs.isLoading && <Spinner />}
            {trans.__('Load more')}
          </button>
        </div>
      )}
    </div>
  );
}
