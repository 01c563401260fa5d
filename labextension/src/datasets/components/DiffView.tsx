/**
 * What changed between two versions: the two versions (either may be any
 * version), how many files were added, removed and modified, and the
 * changed files of one kind or all, in a virtualised list that fetches
 * pages as it scrolls.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatBytes } from '../../shared/format';
import { DatasetModel } from '../datasetModel';
import { CHANGE_KINDS, ChangeKind, IDatasetChange } from '../tokens';
import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';
import { VirtualList } from './VirtualList';

const ROW_HEIGHT = 26;

export interface IDiffViewProps {
  model: DatasetModel;
  trans: TranslationBundle;
}

export function DiffView(props: IDiffViewProps): JSX.Element {
  const { model, trans } = props;
  const diff = model.diff;
  const versions = model.versions.items;

  if (versions.length < 2 && !model.versions.hasMore) {
    return (
      <Empty testId="dl-diff-single">
        {trans.__(
          '%1 has one version so far; commit another to see what changed.',
          model.name
        )}
      </Empty>
    );
  }

  const options = versions.map(v => ({
    value: v.ref,
    label: v.message ? `${v.ref} — ${v.message}` : v.ref
  }));
  const from = diff.from ?? '';
  const to = diff.to ?? '';
  // A version named in the diff but not loaded in the picker is offered too.
  for (const ref of [from, to]) {
    if (ref && !options.some(o => o.value === ref)) {
      options.push({ value: ref, label: ref });
    }
  }

  return (
    <div className="jp-DLDatasets-diff" data-testid="dl-diff-view">
      <div className="jp-DLDatasets-diffControls">
        <label className="jp-DLDatasets-field">
          <span className="jp-DLDatasets-fieldLabel">{trans.__('From')}</span>
          <HTMLSelect
            value={from}
            options={from ? options : [{ value: '', label: '' }, ...options]}
            onChange={event =>
              void diff.compare(event.target.value, to || event.target.value)
            }
            aria-label={trans.__('Compare from version')}
            data-testid="dl-diff-from"
          />
        </label>
        <span className="jp-DLDatasets-diffArrow" aria-hidden="true">
          →
        </span>
        <label className="jp-DLDatasets-field">
          <span className="jp-DLDatasets-fieldLabel">{trans.__('To')}</span>
          <HTMLSelect
            value={to}
            options={to ? options : [{ value: '', label: '' }, ...options]}
            onChange={event =>
              void diff.compare(from || event.target.value, event.target.value)
            }
            aria-label={trans.__('Compare to version')}
            data-testid="dl-diff-to"
          />
        </label>
        <button
          type="button"
          className="jp-DLPanel-button"
          disabled={!from || !to}
          onClick={() => void diff.compare(to, from)}
          title={trans.__('Swap the two versions')}
          data-testid="dl-diff-swap"
        >
          {trans.__('Swap')}
        </button>
      </div>
      <ChangeFilter {...props} />
      <ChangeList {...props} />
    </div>
  );
}

function changeLabel(kind: ChangeKind, trans: TranslationBundle): string {
  switch (kind) {
    case 'added':
      return trans.__('Added');
    case 'removed':
      return trans.__('Removed');
    case 'modified':
      return trans.__('Modified');
  }
}

function noChangeText(
  kind: ChangeKind | null,
  trans: TranslationBundle
): string {
  switch (kind) {
    case 'added':
      return trans.__('No file was added.');
    case 'removed':
      return trans.__('No file was removed.');
    case 'modified':
      return trans.__('No file was modified.');
    default:
      return trans.__('No changes: the two versions hold the same files.');
  }
}

/**
 * All, added, removed or modified, each with its count.
 */
function ChangeFilter(props: IDiffViewProps): JSX.Element | null {
  const { model, trans } = props;
  const diff = model.diff;
  const summary = diff.summary;
  if (diff.from === null) {
    return null;
  }
  const all = summary
    ? CHANGE_KINDS.reduce((sum, kind) => sum + summary[kind], 0)
    : null;
  const choices: {
    kind: ChangeKind | null;
    label: string;
    count: number | null;
  }[] = [
    { kind: null, label: trans.__('All changes'), count: all },
    ...CHANGE_KINDS.map(kind => ({
      kind,
      label: changeLabel(kind, trans),
      count: summary ? summary[kind] : null
    }))
  ];
  return (
    <div
      className="jp-DLDatasets-segmented"
      role="radiogroup"
      aria-label={trans.__('Which changes to list')}
      data-testid="dl-diff-summary"
    >
      {choices.map(choice => {
        const checked = diff.change === choice.kind;
        return (
          <button
            key={choice.kind ?? 'all'}
            type="button"
            role="radio"
            aria-checked={checked}
            className={
              'jp-DLDatasets-segment' +
              (checked ? ' jp-mod-current' : '') +
              (choice.kind ? ` jp-mod-${choice.kind}` : '')
            }
            onClick={() => void diff.setChange(choice.kind)}
            data-testid={`dl-diff-filter-${choice.kind ?? 'all'}`}
            data-count={choice.count ?? undefined}
          >
            {choice.kind && (
              <span className="jp-DLDatasets-changeMark" aria-hidden="true" />
            )}
            {choice.label}
            {choice.count !== null && (
              <span className="jp-DLDatasets-segmentCount">
                {choice.count.toLocaleString()}
              </span>
            )}
          </button>
        );
      })}
    </div>
  );
}

function ChangeList(props: IDiffViewProps): JSX.Element | null {
  const { model, trans } = props;
  const diff = model.diff;
  const list = diff.changes;
  if (list === null) {
    return null;
  }
  if (!list.isLoaded) {
    return list.error ? (
      <ErrorBanner
        error={list.error}
        title={trans.__(
          'Could not compare %1 with %2.',
          diff.from ?? '',
          diff.to ?? ''
        )}
        trans={trans}
        onRetry={() => void diff.refresh()}
      />
    ) : (
      <Loading text={trans.__('Comparing…')} />
    );
  }
  const items = list.items;
  return (
    <>
      {list.error && (
        <ErrorBanner
          error={list.error}
          title={trans.__('Could not load more changes.')}
          trans={trans}
          onRetry={() => void list.loadUntil(items.length + 1)}
        />
      )}
      <div className="jp-DLDatasets-changesHeader" role="presentation">
        <span>{trans.__('File')}</span>
        {list.isLoading && <Spinner label={trans.__('Loading changes')} />}
        <span>{trans.__('Size')}</span>
      </div>
      <VirtualList
        count={list.size}
        navigable={items.length}
        rowHeight={ROW_HEIGHT}
        activeIndex={diff.activeIndex}
        idPrefix="jp-DLDatasets-change"
        label={trans.__(
          'Changes from %1 to %2',
          diff.from ?? '',
          diff.to ?? ''
        )}
        className="jp-DLDatasets-changes"
        testId="dl-diff-changes"
        renderRow={index => <ChangeRow change={items[index]} trans={trans} />}
        rowAttributes={index => {
          const change = items[index];
          return change
            ? {
                'data-testid': 'dl-diff-change',
                'data-change': change.change,
                'data-path': change.path
              }
            : {};
        }}
        onActiveChange={index => diff.setActive(index)}
        onRangeChange={(start, end) => void list.loadUntil(end)}
        empty={
          <div className="jp-DLPanel-empty" data-testid="dl-diff-empty">
            {noChangeText(diff.change, trans)}
          </div>
        }
      />
    </>
  );
}

function ChangeRow(props: {
  change: IDatasetChange | undefined;
  trans: TranslationBundle;
}): JSX.Element {
  const { change, trans } = props;
  if (!change) {
    return <span className="jp-DLDatasets-placeholder" aria-hidden="true" />;
  }
  let size: string;
  if (change.from && change.to) {
    size = `${formatBytes(change.from.size)} → ${formatBytes(change.to.size)}`;
  } else {
    size = formatBytes((change.to ?? change.from)?.size ?? 0);
  }
  return (
    <>
      <span
        className={`jp-DLDatasets-changeBadge jp-mod-${change.change}`}
        title={changeLabel(change.change, trans)}
      >
        {change.change === 'added'
          ? '+'
          : change.change === 'removed'
            ? '−'
            : '~'}
      </span>
      <span className="jp-DLDatasets-changePath" title={change.path}>
        {change.path}
      </span>
      <span className="jp-DLDatasets-entrySize">{size}</span>
    </>
  );
}
