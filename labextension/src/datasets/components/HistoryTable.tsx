/**
 * A dataset's history: every version, newest first, with its tag, commit,
 * message, author, date, file count and size. A version's name shows it;
 * "Changes" shows what it changed from the version before.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatBytes, formatTime, formatTimeAgo } from '../../shared/format';
import { DatasetModel } from '../datasetModel';
import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';

export interface IHistoryTableProps {
  model: DatasetModel;
  trans: TranslationBundle;
}

export function HistoryTable(props: IHistoryTableProps): JSX.Element {
  const { model, trans } = props;
  const versions = model.versions;
  const current = model.version?.ref ?? null;

  if (!versions.isLoaded) {
    return versions.error ? (
      <ErrorBanner
        error={versions.error}
        title={trans.__('Could not load the versions of %1.', model.name)}
        trans={trans}
        onRetry={() => void versions.reload()}
      />
    ) : (
      <Loading text={trans.__('Loading versions…')} />
    );
  }
  if (versions.items.length === 0) {
    return (
      <Empty testId="dl-no-versions">
        {trans.__('%1 has no versions yet.', model.name)}
      </Empty>
    );
  }
  return (
    <div className="jp-DLDatasets-history">
      <table
        className="jp-DLDatasets-table jp-mod-history"
        aria-label={trans.__('Versions of %1', model.name)}
        data-testid="dl-version-history"
      >
        <thead>
          <tr>
            <th scope="col">{trans.__('Version')}</th>
            <th scope="col">{trans.__('Commit')}</th>
            <th scope="col">{trans.__('Message')}</th>
            <th scope="col">{trans.__('Author')}</th>
            <th scope="col">{trans.__('Date')}</th>
            <th scope="col" className="jp-mod-number">
              {trans.__('Files')}
            </th>
            <th scope="col" className="jp-mod-number">
              {trans.__('Size')}
            </th>
            <th scope="col">
              <span className="jp-DLDatasets-visuallyHidden">
                {trans.__('Actions')}
              </span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.items.map(version => {
            const previous = model.previousOf(version.ref);
            const isCurrent = version.ref === current;
            return (
              <tr
                key={version.commit}
                className={isCurrent ? 'jp-mod-current' : undefined}
                aria-current={isCurrent ? 'true' : undefined}
                data-testid="dl-version-row"
                data-ref={version.ref}
              >
                <td>
                  <button
                    type="button"
                    className="jp-DLPanel-linkButton jp-DLDatasets-versionRef"
                    onClick={() => {
                      model.setVersion(version.ref);
                      model.setTab('files');
                    }}
                    title={trans.__('Browse the files of %1', version.ref)}
                    data-testid="dl-version-browse"
                  >
                    <span
                      className={
                        'jp-DLDatasets-versionBadge' +
                        (version.tag ? '' : ' jp-mod-untagged')
                      }
                    >
                      {version.ref}
                    </span>
                  </button>
                </td>
                <td>
                  <code title={version.commit}>
                    {version.commit.slice(0, 8)}
                  </code>
                </td>
                <td className="jp-DLDatasets-message" title={version.message}>
                  {version.message}
                </td>
                <td>{version.author}</td>
                <td title={formatTime(version.created_at)}>
                  {formatTimeAgo(version.created_at)}
                </td>
                <td className="jp-mod-number">
                  {version.files.toLocaleString()}
                </td>
                <td className="jp-mod-number">{formatBytes(version.size)}</td>
                <td>
                  <button
                    type="button"
                    className="jp-DLPanel-linkButton"
                    disabled={previous === null}
                    onClick={() =>
                      previous && model.compare(previous.ref, version.ref)
                    }
                    title={
                      previous
                        ? trans.__(
                            'What %1 changed from %2',
                            version.ref,
                            previous.ref
                          )
                        : trans.__('The first version: nothing to compare with')
                    }
                    data-testid="dl-version-changes"
                  >
                    {trans.__('Changes')}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {versions.error && (
        <ErrorBanner
          error={versions.error}
          title={trans.__('Could not load more versions.')}
          trans={trans}
        />
      )}
      {versions.hasMore && (
        <div className="jp-DLDatasets-more">
          <button
            type="button"
            className="jp-DLPanel-button"
            disabled={versions.isLoading}
            onClick={() => void model.loadMoreVersions()}
            data-testid="dl-versions-more"
          >
            {versions.isLoading && <Spinner />}
            {trans.__('Load older versions')}
          </button>
        </div>
      )}
    </div>
  );
}
