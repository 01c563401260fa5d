/**
 * The files of a version: breadcrumbs to the folder on show, a header that
 * sorts by name or size (on the server), and the folder's entries in a
 * virtualised list that fetches pages as it scrolls. A click selects (the
 * preview follows), a double click or Enter opens a folder; Backspace goes
 * up, Escape shows the folder itself in the preview.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretUpIcon,
  homeIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatBytes } from '../../shared/format';
import { BrowserModel } from '../browserModel';
import { entryIcon } from '../icons';
import { IDatasetEntry, SortKey } from '../tokens';
import { ErrorBanner, Spinner } from '../../shared/feedback';
import { VirtualList } from './VirtualList';

/**
 * Height of a row, as in JupyterLab's file browser.
 */
const ROW_HEIGHT = 26;

export interface IFileBrowserProps {
  model: BrowserModel;
  trans: TranslationBundle;
}

export function FileBrowser(props: IFileBrowserProps): JSX.Element {
  const { model, trans } = props;
  return (
    <div className="jp-DLDatasets-browser" data-testid="dl-dataset-browser">
      <Breadcrumbs model={model} trans={trans} />
      <FolderList model={model} trans={trans} />
    </div>
  );
}

function Breadcrumbs(props: IFileBrowserProps): JSX.Element {
  const { model, trans } = props;
  const parts = model.path === '' ? [] : model.path.split('/');
  return (
    <nav
      className="jp-DLDatasets-breadcrumbs"
      aria-label={trans.__('Folder')}
      data-testid="dl-dataset-breadcrumbs"
    >
      <button
        type="button"
        className={
          'jp-DLDatasets-crumbButton' +
          (parts.length === 0 ? ' jp-mod-current' : '')
        }
        onClick={() => void model.open('')}
        title={trans.__('The top folder of %1', model.dataset)}
        aria-current={parts.length === 0 ? 'location' : undefined}
        data-testid="dl-crumb"
        data-path=""
      >
        <homeIcon.react tag="span" className="jp-DLDatasets-crumbIcon" />
        <span>{model.dataset}</span>
      </button>
      {parts.map((part, index) => {
        const path = parts.slice(0, index + 1).join('/');
        const current = index === parts.length - 1;
        return (
          <React.Fragment key={path}>
            <span className="jp-DLPanel-crumbSeparator" aria-hidden="true">
              /
            </span>
            <button
              type="button"
              className={
                'jp-DLDatasets-crumbButton' + (current ? ' jp-mod-current' : '')
              }
              onClick={() => void model.open(path)}
              aria-current={current ? 'location' : undefined}
              data-testid="dl-crumb"
              data-path={path}
            >
              {part}
            </button>
          </React.Fragment>
        );
      })}
    </nav>
  );
}

function FolderList(props: IFileBrowserProps): JSX.Element {
  const { model, trans } = props;
  const listing = model.listing;
  const entries = listing.items;

  const onKeyDown = (event: React.KeyboardEvent): boolean => {
    const active = entries[model.activeIndex];
    switch (event.key) {
      case 'Backspace':
      case 'ArrowLeft':
        if (model.path === '') {
          return false;
        }
        void model.up();
        return true;
      case 'ArrowRight':
        if (active?.type !== 'directory') {
          return false;
        }
        void model.open(active.path);
        return true;
      case 'Escape':
        if (model.selected === null) {
          return false;
        }
        model.clearSelection();
        return true;
      default:
        return false;
    }
  };

  return (
    <>
      <div className="jp-DLDatasets-browserHeader" role="presentation">
        <SortButton model={model} sort="name" trans={trans}>
          {trans.__('Name')}
        </SortButton>
        {listing.isLoading && <Spinner label={trans.__('Loading files')} />}
        <SortButton model={model} sort="size" trans={trans}>
          {trans.__('Size')}
        </SortButton>
      </div>
      {listing.error && (
        <ErrorBanner
          error={listing.error}
          title={trans.__('Could not list %1.', model.path || model.dataset)}
          trans={trans}
          onRetry={() => void listing.loadUntil(entries.length + 1)}
        />
      )}
      <VirtualList
        count={listing.size}
        navigable={entries.length}
        rowHeight={ROW_HEIGHT}
        activeIndex={model.activeIndex}
        idPrefix="jp-DLDatasets-entry"
        label={trans.__('Files in %1', model.path || model.dataset)}
        className="jp-DLDatasets-entries"
        testId="dl-dataset-entries"
        renderRow={index => <EntryRow entry={entries[index]} trans={trans} />}
        rowAttributes={index => {
          const entry = entries[index];
          return entry
            ? {
                'data-testid': 'dl-dataset-entry',
                'data-path': entry.path,
                'data-type': entry.type,
                className:
                  model.selected?.path === entry.path ? 'jp-mod-selected' : ''
              }
            : { 'data-testid': 'dl-dataset-entry-pending' };
        }}
        onActiveChange={index => model.select(index)}
        onActivate={index => model.activate(index)}
        onKeyDown={onKeyDown}
        onRangeChange={(start, end) => void listing.loadUntil(end)}
        empty={
          listing.isLoaded && !listing.error ? (
            <div className="jp-DLPanel-empty">
              {trans.__('This folder is empty.')}
            </div>
          ) : null
        }
      />
      <div
        className="jp-DLDatasets-browserFooter"
        data-testid="dl-dataset-count"
      >
        {listing.isLoaded
          ? listing.size > entries.length
            ? trans.__(
                '%1 entries, %2 loaded',
                listing.size.toLocaleString(),
                entries.length.toLocaleString()
              )
            : trans._n(
                '%2 entry',
                '%2 entries',
                listing.size,
                listing.size.toLocaleString()
              )
          : ''}
      </div>
    </>
  );
}

function SortButton(props: {
  model: BrowserModel;
  sort: SortKey;
  trans: TranslationBundle;
  children: React.ReactNode;
}): JSX.Element {
  const { model, sort, trans } = props;
  const sorted = model.sort === sort;
  const Caret = model.order === 'asc' ? caretUpIcon : caretDownIcon;
  return (
    <button
      type="button"
      className={`jp-DLDatasets-sortButton jp-mod-${sort}`}
      onClick={() => void model.sortBy(sort)}
      aria-pressed={sorted}
      title={
        sort === 'name' ? trans.__('Sort by name') : trans.__('Sort by size')
      }
      data-testid={`dl-dataset-sort-${sort}`}
      data-order={sorted ? model.order : undefined}
    >
      <span>{props.children}</span>
      {sorted && <Caret.react tag="span" className="jp-DLDatasets-sortIcon" />}
    </button>
  );
}

function EntryRow(props: {
  entry: IDatasetEntry | undefined;
  trans: TranslationBundle;
}): JSX.Element {
  const { entry, trans } = props;
  if (!entry) {
    return <span className="jp-DLDatasets-placeholder" aria-hidden="true" />;
  }
  const Icon = entryIcon(entry);
  return (
    <>
      <Icon.react tag="span" className="jp-DLDatasets-entryIcon" />
      <span className="jp-DLDatasets-entryName" title={entry.path}>
        {entry.name}
      </span>
      {entry.type === 'directory' && (
        <span className="jp-DLDatasets-entryFiles">
          {trans._n(
            '%2 file',
            '%2 files',
            entry.files,
            entry.files.toLocaleString()
          )}
        </span>
      )}
      <span className="jp-DLDatasets-entrySize">{formatBytes(entry.size)}</span>
    </>
  );
}
