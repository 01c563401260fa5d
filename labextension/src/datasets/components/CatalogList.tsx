/**
 * The catalog: a search box (name, description and tags, on the server)
 * above the datasets it matches, each with its description, tags, latest
 * version, file count and size. ↑ and ↓ move between datasets, Enter or a
 * click opens one.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { searchIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatBytes, formatTime, formatTimeAgo } from '../../shared/format';
import { CatalogModel } from '../catalogModel';
import { IDataset } from '../tokens';
import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';

export interface ICatalogListProps {
  model: CatalogModel;
  /**
   * The dataset on show.
   */
  current: string | null;
  onOpen: (name: string) => void;
  trans: TranslationBundle;
}

export function CatalogList(props: ICatalogListProps): JSX.Element {
  const { model, current, onOpen, trans } = props;
  const items = React.useRef<(HTMLButtonElement | null)[]>([]);
  const datasets = model.datasets;

  const onKeyDown = (event: React.KeyboardEvent, index: number): void => {
    let next = index;
    if (event.key === 'ArrowDown') {
      next = Math.min(datasets.length - 1, index + 1);
    } else if (event.key === 'ArrowUp') {
      next = Math.max(0, index - 1);
    } else if (event.key === 'Home') {
      next = 0;
    } else if (event.key === 'End') {
      next = datasets.length - 1;
    } else {
      return;
    }
    event.preventDefault();
    items.current[next]?.focus();
  };

  let body: React.ReactNode;
  if (!model.isLoaded && model.isLoading) {
    body = <Loading text={trans.__('Loading datasets…')} />;
  } else if (model.isLoaded && datasets.length === 0) {
    body = (
      <Empty testId="dl-no-datasets">
        {model.query
          ? trans.__('No dataset matches “%1”.', model.query)
          : trans.__(
              'No datasets yet. Create one from a notebook with dl.datasets.create("name", "folder").'
            )}
      </Empty>
    );
  } else {
    // Tab reaches the dataset on show (or the first); arrows reach the rest.
    const tabStop = Math.max(
      0,
      datasets.findIndex(d => d.name === current)
    );
    body = (
      <ul
        className="jp-DLDatasets-catalogList"
        aria-label={trans.__('Datasets')}
        data-testid="dl-catalog-list"
      >
        {datasets.map((dataset, index) => (
          <li key={dataset.name}>
            <CatalogItem
              dataset={dataset}
              current={dataset.name === current}
              tabIndex={index === tabStop ? 0 : -1}
              buttonRef={node => {
                items.current[index] = node;
              }}
              onOpen={() => onOpen(dataset.name)}
              onKeyDown={event => onKeyDown(event, index)}
              trans={trans}
            />
          </li>
        ))}
      </ul>
    );
  }

  return (
    <div className="jp-DLDatasets-catalog" data-testid="dl-catalog">
      <div className="jp-DLDatasets-catalogSearch" role="search">
        <div className="jp-DLDatasets-input">
          <searchIcon.react tag="span" className="jp-DLDatasets-inputIcon" />
          <input
            type="search"
            value={model.searchText}
            placeholder={trans.__('Search datasets')}
            aria-label={trans.__('Search dataset names, descriptions and tags')}
            onChange={event => model.setSearchText(event.target.value)}
            data-testid="dl-catalog-search"
          />
        </div>
      </div>
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('Could not load the datasets.')}
          trans={trans}
          onRetry={() => void model.refresh()}
        />
      )}
      <div className="jp-DLDatasets-catalogScroller">
        {body}
        {model.hasMore && (
          <div className="jp-DLDatasets-more">
            <button
              type="button"
              className="jp-DLPanel-button"
              disabled={model.isLoading}
              onClick={() => void model.loadMore()}
              data-testid="dl-catalog-more"
            >
              {model.isLoading && <Spinner />}
              {trans.__('Load more')}
            </button>
          </div>
        )}
      </div>
      <div
        className="jp-DLDatasets-catalogFooter"
        data-testid="dl-catalog-count"
      >
        {model.total !== null &&
          (model.query
            ? trans._n('%1 match', '%1 matches', model.total)
            : trans._n('%1 dataset', '%1 datasets', model.total))}
        {model.isLoading && model.isLoaded && (
          <Spinner label={trans.__('Searching')} />
        )}
      </div>
    </div>
  );
}

function CatalogItem(props: {
  dataset: IDataset;
  current: boolean;
  tabIndex: number;
  buttonRef: (node: HTMLButtonElement | null) => void;
  onOpen: () => void;
  onKeyDown: (event: React.KeyboardEvent) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { dataset, current, trans } = props;
  const latest = dataset.latest;
  return (
    <button
      type="button"
      ref={props.buttonRef}
      className={
        'jp-DLDatasets-catalogItem' + (current ? ' jp-mod-current' : '')
      }
      aria-current={current ? 'true' : undefined}
      tabIndex={props.tabIndex}
      onClick={props.onOpen}
      onKeyDown={props.onKeyDown}
      data-testid="dl-catalog-item"
      data-dataset={dataset.name}
    >
      <span className="jp-DLDatasets-catalogTitle">
        <span className="jp-DLDatasets-catalogName">{dataset.name}</span>
        {latest && (
          <span
            className="jp-DLDatasets-versionBadge"
            title={trans.__(
              'Latest version, %1',
              formatTime(latest.created_at)
            )}
          >
            {latest.ref}
          </span>
        )}
      </span>
      {dataset.description && (
        <span className="jp-DLDatasets-catalogDescription">
          {dataset.description}
        </span>
      )}
      {dataset.tags.length > 0 && (
        <span className="jp-DLDatasets-tagList">
          {dataset.tags.map(tag => (
            <span className="jp-DLDatasets-tag" key={tag}>
              {tag}
            </span>
          ))}
        </span>
      )}
      <span className="jp-DLDatasets-catalogMeta">
        {latest
          ? trans.__(
              '%1 · %2 · %3',
              trans._n(
                '%2 file',
                '%2 files',
                latest.files,
                latest.files.toLocaleString()
              ),
              formatBytes(latest.size),
              formatTimeAgo(latest.created_at)
            )
          : trans.__('No versions yet')}
      </span>
    </button>
  );
}
