/**
 * One dataset: a header with its description, tags and the version on
 * show (picked from its history), the button that puts the code loading
 * that version into a notebook, and tabs for the version's files (browser
 * and preview), the history, the changes between versions and the runs
 * that used the version.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { codeIcon, HTMLSelect, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatBytes, formatTime, formatTimeAgo } from '../../shared/format';
import { DatasetModel, DatasetTab } from '../datasetModel';
import { datasetSnippet, ISnippetTarget } from '../snippet';
import { IDatasetVersion } from '../tokens';
import { DiffView } from './DiffView';
import { ErrorBanner, Loading } from '../../shared/feedback';
import { SharingButton } from '../../shared/sharing';
import { TabList, tabPanelProps } from '../../shared/tabs';
import { FileBrowser } from './FileBrowser';
import { HistoryTable } from './HistoryTable';
import { LineageList } from './LineageList';
import { PreviewPane } from './PreviewPane';

export interface IDatasetViewProps {
  model: DatasetModel;
  /**
   * Where "Insert in notebook" puts code; `null` without notebooks.
   */
  snippet: ISnippetTarget | null;
  onOpenRun: (id: string, project: string) => void;
  trans: TranslationBundle;
}

export function DatasetView(props: IDatasetViewProps): JSX.Element {
  const { model, trans } = props;
  if (model.info === null) {
    return (
      <div className="jp-DLDatasets-dataset" data-testid="dl-dataset-view">
        {model.error ? (
          <ErrorBanner
            error={model.error}
            title={trans.__('Could not load %1.', model.name)}
            trans={trans}
            onRetry={() => void model.start()}
          />
        ) : (
          <Loading text={trans.__('Loading %1…', model.name)} />
        )}
      </div>
    );
  }

  const versions = model.versions.items.length;
  const runs = model.runs;
  const tabs: { id: DatasetTab; label: string }[] = [
    { id: 'files', label: trans.__('Files') },
    {
      id: 'history',
      label: trans.__('History (%1)', model.info.versions)
    },
    { id: 'changes', label: trans.__('Changes') },
    {
      id: 'runs',
      label:
        runs?.isLoaded && !runs.hasMore
          ? trans.__('Runs (%1)', runs.items.length)
          : trans.__('Runs')
    }
  ];
  const tab = model.tab;

  return (
    <div
      className="jp-DLDatasets-dataset"
      data-testid="dl-dataset-view"
      data-dataset={model.name}
      data-version={model.version?.ref ?? ''}
    >
      <DatasetHeader {...props} />
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('Could not refresh %1.', model.name)}
          trans={trans}
        />
      )}
      {versions === 0 && model.versions.isLoaded ? null : (
        <>
          <TabList
            tabs={tabs}
            current={tab}
            onChange={id => model.setTab(id)}
            label={trans.__('Dataset views')}
            idPrefix="jp-DLDatasets-dataset"
            testIdPrefix="dl-dataset-tab-"
          />
          <div
            className={`jp-DLDatasets-tabPanel jp-mod-${tab}`}
            {...tabPanelProps('jp-DLDatasets-dataset', tab)}
          >
            <TabContent {...props} />
          </div>
        </>
      )}
    </div>
  );
}

function TabContent(props: IDatasetViewProps): JSX.Element | null {
  const { model, trans } = props;
  switch (model.tab) {
    case 'files': {
      const browser = model.browser;
      const preview = model.preview;
      if (browser === null || preview === null) {
        return model.versions.error ? (
          <ErrorBanner
            error={model.versions.error}
            title={trans.__('Could not load the versions of %1.', model.name)}
            trans={trans}
            onRetry={() => void model.start()}
          />
        ) : (
          <Loading text={trans.__('Loading versions…')} />
        );
      }
      return (
        <div className="jp-DLDatasets-files">
          <UseSignal signal={browser.changed}>
            {() => <FileBrowser model={browser} trans={trans} />}
          </UseSignal>
          <UseSignal signal={preview.changed}>
            {() => <PreviewPane model={preview} trans={trans} />}
          </UseSignal>
        </div>
      );
    }
    case 'history':
      return <HistoryTable model={model} trans={trans} />;
    case 'changes':
      return (
        <UseSignal signal={model.diff.changed}>
          {() => <DiffView model={model} trans={trans} />}
        </UseSignal>
      );
    case 'runs':
      return (
        <LineageList model={model} onOpenRun={props.onOpenRun} trans={trans} />
      );
    default:
      return null;
  }
}

function DatasetHeader(props: IDatasetViewProps): JSX.Element {
  const { model, snippet, trans } = props;
  const info = model.info;
  const version = model.version;
  const options = model.versions.items.map(v => ({
    value: v.ref,
    label: versionLabel(v)
  }));
  return (
    <header className="jp-DLDatasets-header">
      <div className="jp-DLDatasets-titleRow">
        <h2 className="jp-DLDatasets-title" data-testid="dl-dataset-name">
          {model.name}
        </h2>
        {info?.tags.map(tag => (
          <span className="jp-DLDatasets-tag" key={tag}>
            {tag}
          </span>
        ))}
        <SharingButton kind="dataset" name={model.name} trans={trans} />
        <span className="jp-DLPanel-spacer" />
        {snippet && version && (
          <UseSignal signal={snippet.changed}>
            {() => (
              <InsertButton
                snippet={snippet}
                dataset={model.name}
                version={version.ref}
                trans={trans}
              />
            )}
          </UseSignal>
        )}
      </div>
      {info?.description && (
        <p className="jp-DLDatasets-description">{info.description}</p>
      )}
      <div className="jp-DLDatasets-versionBar">
        <label className="jp-DLDatasets-field">
          <span className="jp-DLDatasets-fieldLabel">
            {trans.__('Version')}
          </span>
          <HTMLSelect
            className="jp-DLDatasets-versionSelect"
            value={version?.ref ?? ''}
            options={
              options.length > 0
                ? options
                : [{ value: '', label: trans.__('No versions') }]
            }
            disabled={options.length === 0}
            onChange={event => model.setVersion(event.target.value)}
            aria-label={trans.__('Version of %1 on show', model.name)}
            data-testid="dl-version-select"
          />
        </label>
        {version && (
          <dl
            className="jp-DLDatasets-versionFacts"
            data-testid="dl-version-facts"
          >
            <div className="jp-DLDatasets-fact">
              <dt>{trans.__('Commit')}</dt>
              <dd>
                <code title={version.commit}>{version.commit.slice(0, 8)}</code>
              </dd>
            </div>
            <div className="jp-DLDatasets-fact">
              <dt>{trans.__('By')}</dt>
              <dd>{version.author}</dd>
            </div>
            <div className="jp-DLDatasets-fact">
              <dt>{trans.__('Committed')}</dt>
              <dd title={formatTime(version.created_at)}>
                {formatTimeAgo(version.created_at)}
              </dd>
            </div>
            <div className="jp-DLDatasets-fact">
              <dt>{trans.__('Files')}</dt>
              <dd>{version.files.toLocaleString()}</dd>
            </div>
            <div className="jp-DLDatasets-fact">
              <dt>{trans.__('Size')}</dt>
              <dd>{formatBytes(version.size)}</dd>
            </div>
          </dl>
        )}
      </div>
      {model.versions.isLoaded && model.versions.items.length === 0 && (
        <p className="jp-DLDatasets-description">
          {trans.__('%1 has no versions yet.', model.name)}
        </p>
      )}
    </header>
  );
}

function InsertButton(props: {
  snippet: ISnippetTarget;
  dataset: string;
  version: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { snippet, dataset, version, trans } = props;
  const notebook = snippet.notebookName;
  const code = datasetSnippet(dataset, version, false);
  // aria-disabled rather than disabled: the button keeps its tooltip and its
  // place in the Tab order, so the reason it does nothing can be found.
  return (
    <button
      type="button"
      className="jp-DLPanel-button jp-mod-accept"
      aria-disabled={notebook === null}
      onClick={() => {
        if (notebook !== null) {
          snippet.insertDataset(dataset, version);
        }
      }}
      title={
        notebook === null
          ? trans.__('Open a notebook to insert %1 into it', code)
          : trans.__('Insert %1 into %2, below the active cell', code, notebook)
      }
      data-testid="dl-insert-snippet"
    >
      <codeIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
      <span>{trans.__('Insert in notebook')}</span>
    </button>
  );
}

function versionLabel(version: IDatasetVersion): string {
  const when = formatTimeAgo(version.created_at);
  return version.message
    ? `${version.ref} · ${version.message} · ${when}`
    : `${version.ref} · ${when}`;
}
