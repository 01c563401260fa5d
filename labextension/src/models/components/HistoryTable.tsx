/**
 * Every move of a model's aliases, newest first: which alias, from which
 * version to which, by whom and when.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';
import { formatTime, formatTimeAgo } from '../../shared/format';
import { ModelModel } from '../modelModel';
import { IAliasEvent } from '../tokens';
import { AliasChip } from './badges';

export function HistoryTable(props: {
  model: ModelModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const history = model.history;
  React.useEffect(() => {
    if (!history.isLoaded && !history.isLoading && !history.error) {
      void history.loadUntil(1);
    }
  }, [history]);

  if (!history.isLoaded) {
    return history.error ? (
      <ErrorBanner
        error={history.error}
        title={trans.__('Could not load the alias history.')}
        trans={trans}
        onRetry={() => void history.reload()}
      />
    ) : (
      <Loading text={trans.__('Loading the alias history…')} />
    );
  }
  if (history.items.length === 0) {
    return (
      <Empty testId="dl-alias-history">
        {trans.__('No alias was ever set on %1.', model.name)}
      </Empty>
    );
  }
  return (
    <div className="jp-DLModels-history">
      <table
        className="jp-DLModels-table jp-mod-wide"
        aria-label={trans.__('Alias history of %1', model.name)}
        data-testid="dl-alias-history"
      >
        <thead>
          <tr>
            <th scope="col">{trans.__('When')}</th>
            <th scope="col">{trans.__('Alias')}</th>
            <th scope="col">{trans.__('Change')}</th>
            <th scope="col">{trans.__('By')}</th>
          </tr>
        </thead>
        <tbody>
          {history.items.map((event, index) => (
            <tr key={`${event.at}:${event.alias}:${index}`}>
              <td title={formatTime(event.at)}>{formatTimeAgo(event.at)}</td>
              <td>
                <AliasChip alias={event.alias} />
              </td>
              <td>{describeMove(event, trans)}</td>
              <td>{event.by ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {history.hasMore && (
        <div className="jp-DLModels-more">
          <button
            type="button"
            className="jp-DLPanel-button"
            disabled={history.isLoading}
            onClick={() => void model.loadMoreHistory()}
          >
            {history.isLoading && <Spinner />}
            {trans.__('Load more')}
          </button>
        </div>
      )}
    </div>
  );
}

/**
 * A move in words: `set to v2`, `v1 → v2`, `removed (was v2)`.
 */
function describeMove(event: IAliasEvent, trans: TranslationBundle): string {
  if (event.version === null) {
    return event.previous === null
      ? trans.__('removed')
      : trans.__('removed (was v%1)', event.previous);
  }
  return event.previous === null
    ? trans.__('set to v%1', event.version)
    : trans.__('v%1 → v%2', event.previous, event.version);
}
