/**
 * One run: a header with its name, status, timing, host and tags, the
 * archive and delete actions, and tabs for its charts, summary, config,
 * system, notes and artifacts.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  closeIcon,
  deleteIcon,
  editIcon,
  shareIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  formatBytes,
  formatDuration,
  formatTime,
  formatTimeAgo
} from '../../shared/format';
import { RunModel } from '../runModel';
import { IRunDetail } from '../tokens';
import { KeyValueTable, MetricsTable, SystemInfo } from './Details';
import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';
import { TabList, tabPanelProps } from '../../shared/tabs';
import { RunCharts } from './RunCharts';
import { StatusBadge } from './StatusBadge';

export interface IRunViewProps {
  model: RunModel;
  /**
   * Publish one of the models the run kept to the registry; without it
   * (no Models panel) the Publish button is not offered.
   */
  onPublish?: ((run: IRunDetail, models: string[]) => void) | null;
  trans: TranslationBundle;
}

type TabId = 'charts' | 'summary' | 'config' | 'system' | 'notes' | 'artifacts';

export function RunView(props: IRunViewProps): JSX.Element {
  const { model, trans } = props;
  const [tab, setTab] = React.useState<TabId>('charts');
  const run = model.run;

  if (run === null) {
    return (
      <div className="jp-DLExperiments-runView" data-testid="dl-run-view">
        {model.error ? (
          <ErrorBanner
            error={model.error}
            title={trans.__('Could not load run %1.', model.id)}
            trans={trans}
          />
        ) : (
          <Loading text={trans.__('Loading run…')} />
        )}
      </div>
    );
  }

  const tabs: { id: TabId; label: string }[] = [
    { id: 'charts', label: trans.__('Charts') },
    { id: 'summary', label: trans.__('Summary') },
    { id: 'config', label: trans.__('Config') },
    { id: 'system', label: trans.__('System') },
    { id: 'notes', label: trans.__('Notes') },
    {
      id: 'artifacts',
      label: trans.__('Artifacts (%1)', run.artifacts)
    }
  ];

  return (
    <div
      className="jp-DLExperiments-runView"
      data-testid="dl-run-view"
      data-run-id={run.id}
    >
      <RunHeader
        model={model}
        run={run}
        onPublish={props.onPublish ?? null}
        trans={trans}
      />
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('Could not refresh the run.')}
          trans={trans}
        />
      )}
      {model.saveError && (
        <ErrorBanner
          error={model.saveError}
          title={trans.__('Could not save the change.')}
          trans={trans}
        />
      )}
      <TabList
        tabs={tabs}
        current={tab}
        onChange={setTab}
        label={trans.__('Run details')}
        idPrefix="jp-DLExperiments-run"
        testIdPrefix="dl-run-tab-"
      />
      <div
        className="jp-DLExperiments-tabPanel"
        {...tabPanelProps('jp-DLExperiments-run', tab)}
      >
        {tab === 'charts' && <RunCharts model={model} trans={trans} />}
        {tab === 'summary' && (
          <>
            <KeyValueTable
              values={run.summary}
              empty={trans.__('The run has no summary values.')}
              label={trans.__('Summary')}
              testId="dl-run-summary"
            />
            {run.metrics.length > 0 && (
              <h3 className="jp-DLExperiments-subheading">
                {trans.__('Metrics')}
              </h3>
            )}
            <MetricsTable metrics={run.metrics} trans={trans} />
          </>
        )}
        {tab === 'config' && (
          <KeyValueTable
            values={run.config}
            empty={trans.__('The run has no config.')}
            label={trans.__('Config')}
            testId="dl-run-config"
          />
        )}
        {tab === 'system' && <SystemInfo system={run.system} trans={trans} />}
        {tab === 'notes' && <Notes model={model} run={run} trans={trans} />}
        {tab === 'artifacts' && <Artifacts model={model} trans={trans} />}
      </div>
    </div>
  );
}

function RunHeader(props: {
  model: RunModel;
  run: IRunDetail;
  onPublish: ((run: IRunDetail, models: string[]) => void) | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, onPublish, run, trans } = props;
  const [editing, setEditing] = React.useState(false);
  const [name, setName] = React.useState(run.name);
  // Enter and the blur that follows it must not save twice.
  const finished = React.useRef(false);
  const startEditing = (): void => {
    finished.current = false;
    setName(run.name);
    setEditing(true);
  };
  const finishEditing = (save: boolean): void => {
    if (finished.current) {
      return;
    }
    finished.current = true;
    setEditing(false);
    if (save) {
      void model.rename(name);
    }
  };

  const facts: { label: string; value: string; title?: string }[] = [
    {
      label: trans.__('Created'),
      value: formatTimeAgo(run.created_at),
      title: formatTime(run.created_at)
    },
    {
      label:
        run.status === 'running'
          ? trans.__('Running for')
          : trans.__('Duration'),
      value: formatDuration(run.duration) || '—'
    },
    { label: trans.__('Host'), value: run.host || '—' },
    { label: trans.__('Owner'), value: run.owner || '—' },
    { label: trans.__('Id'), value: run.id }
  ];

  const confirmDelete = async (): Promise<void> => {
    const result = await showDialog({
      title: trans.__('Delete run?'),
      body:
        run.artifacts === 0
          ? trans.__(
              'Delete run "%1" and its metrics? This cannot be undone.',
              run.name
            )
          : trans._n(
              'Delete run "%2", its metrics and its artifact? This cannot be undone.',
              'Delete run "%2", its metrics and its %1 artifacts? This cannot be undone.',
              run.artifacts,
              run.name
            ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Delete') })
      ]
    });
    if (result.button.accept) {
      await model.delete();
    }
  };

  return (
    <header className="jp-DLExperiments-runHeader">
      <div className="jp-DLExperiments-runTitleRow">
        {editing ? (
          <form
            className="jp-DLExperiments-renameForm"
            onSubmit={event => {
              event.preventDefault();
              finishEditing(true);
            }}
          >
            <input
              className="jp-DLExperiments-textInput"
              value={name}
              autoFocus
              aria-label={trans.__('Run name')}
              onChange={event => setName(event.target.value)}
              onKeyDown={event => {
                if (event.key === 'Escape') {
                  event.stopPropagation();
                  finishEditing(false);
                }
              }}
              onBlur={() => finishEditing(true)}
              data-testid="dl-run-rename-input"
            />
          </form>
        ) : (
          <h2 className="jp-DLExperiments-runTitle" data-testid="dl-run-name">
            {run.name}
          </h2>
        )}
        {!editing && (
          <button
            type="button"
            className="jp-DLPanel-iconButton"
            title={trans.__('Rename run')}
            aria-label={trans.__('Rename run')}
            onClick={startEditing}
          >
            <editIcon.react tag="span" />
          </button>
        )}
        <StatusBadge status={run.status} trans={trans} />
        {run.archived && (
          <span className="jp-DLExperiments-archivedMark">
            {trans.__('archived')}
          </span>
        )}
        <span className="jp-DLPanel-spacer" />
        {(model.isSaving || model.isLoading) && (
          <Spinner label={trans.__('Working')} />
        )}
        {onPublish && model.models.length > 0 && (
          <button
            type="button"
            className="jp-DLPanel-button jp-mod-accept"
            onClick={() => onPublish(run, model.models)}
            title={trans._n(
              'Publish the model this run kept to the model registry',
              'Publish one of the %1 models this run kept to the model registry',
              model.models.length
            )}
            data-testid="dl-run-publish"
          >
            <shareIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
            <span>{trans.__('Publish…')}</span>
          </button>
        )}
        <button
          type="button"
          className="jp-DLPanel-button"
          disabled={model.isSaving}
          onClick={() => void model.setArchived(!run.archived)}
          data-testid="dl-run-archive"
        >
          {run.archived ? trans.__('Unarchive') : trans.__('Archive')}
        </button>
        <button
          type="button"
          className="jp-DLPanel-button jp-mod-warn"
          disabled={model.isSaving}
          onClick={() => void confirmDelete()}
          data-testid="dl-run-delete"
        >
          <deleteIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
          <span>{trans.__('Delete')}</span>
        </button>
      </div>
      <dl className="jp-DLExperiments-runFacts">
        {facts.map(fact => (
          <div className="jp-DLExperiments-runFact" key={fact.label}>
            <dt>{fact.label}</dt>
            <dd title={fact.title}>{fact.value}</dd>
          </div>
        ))}
      </dl>
      <Tags model={model} run={run} trans={trans} />
    </header>
  );
}

function Tags(props: {
  model: RunModel;
  run: IRunDetail;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, run, trans } = props;
  const [tag, setTag] = React.useState('');
  return (
    <div className="jp-DLExperiments-runTags" data-testid="dl-run-tags">
      <ul className="jp-DLExperiments-chips" aria-label={trans.__('Tags')}>
        {run.tags.map(t => (
          <li className="jp-DLExperiments-chip" key={t}>
            <span>{t}</span>
            <button
              type="button"
              className="jp-DLExperiments-chipRemove"
              disabled={model.isSaving}
              onClick={() => void model.removeTag(t)}
              aria-label={trans.__('Remove tag %1', t)}
              title={trans.__('Remove tag')}
            >
              <closeIcon.react tag="span" />
            </button>
          </li>
        ))}
      </ul>
      <form
        className="jp-DLExperiments-addTag"
        onSubmit={event => {
          event.preventDefault();
          void model.addTag(tag);
          setTag('');
        }}
      >
        <addIcon.react tag="span" className="jp-DLExperiments-inputIcon" />
        <input
          type="text"
          value={tag}
          placeholder={trans.__('Add tag')}
          aria-label={trans.__('Add a tag, then Enter')}
          onChange={event => setTag(event.target.value)}
          data-testid="dl-run-add-tag"
        />
      </form>
    </div>
  );
}

function Notes(props: {
  model: RunModel;
  run: IRunDetail;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, run, trans } = props;
  const [draft, setDraft] = React.useState(run.notes ?? '');
  const changed = draft !== (run.notes ?? '');
  const save = (): void => {
    void model.saveNotes(draft);
  };
  return (
    <div className="jp-DLExperiments-notes">
      <textarea
        className="jp-DLExperiments-textArea"
        value={draft}
        rows={10}
        placeholder={trans.__('What did this run try, and what did it show?')}
        aria-label={trans.__('Notes')}
        onChange={event => setDraft(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            save();
          }
        }}
        data-testid="dl-run-notes"
      />
      <div className="jp-DLExperiments-notesActions">
        <button
          type="button"
          className="jp-DLPanel-button jp-mod-accept"
          disabled={!changed || model.isSaving}
          onClick={save}
          data-testid="dl-run-notes-save"
        >
          {trans.__('Save notes')}
        </button>
        <button
          type="button"
          className="jp-DLPanel-button"
          disabled={!changed || model.isSaving}
          onClick={() => setDraft(run.notes ?? '')}
        >
          {trans.__('Revert')}
        </button>
        <span className="jp-DLExperiments-hint">
          {changed
            ? trans.__('Unsaved changes (Ctrl+Enter saves)')
            : run.notes
              ? trans.__('Saved')
              : ''}
        </span>
      </div>
    </div>
  );
}

function Artifacts(props: {
  model: RunModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const artifacts = model.artifacts;
  if (model.artifactsError) {
    return (
      <ErrorBanner
        error={model.artifactsError}
        title={trans.__('Could not list the artifacts.')}
        trans={trans}
      />
    );
  }
  if (artifacts === null) {
    return <Loading text={trans.__('Loading artifacts…')} />;
  }
  if (artifacts.length === 0) {
    return (
      <Empty testId="dl-run-artifacts">
        {trans.__('The run stored no artifacts.')}
      </Empty>
    );
  }
  return (
    <>
      <table
        className="jp-DLExperiments-artifacts"
        aria-label={trans.__('Artifacts')}
        data-testid="dl-run-artifacts"
      >
        <thead>
          <tr>
            <th scope="col">{trans.__('Name')}</th>
            <th scope="col">{trans.__('Size')}</th>
            <th scope="col">{trans.__('Stored')}</th>
            <th scope="col">{trans.__('SHA-256')}</th>
          </tr>
        </thead>
        <tbody>
          {artifacts.map(artifact => (
            <tr key={artifact.name}>
              <td>
                <a
                  href={model.artifactURL(artifact.name)}
                  download={artifact.name.split('/').pop()}
                  title={trans.__('Download %1', artifact.name)}
                  data-testid="dl-artifact-link"
                >
                  {artifact.name}
                </a>
              </td>
              <td className="jp-mod-number">{formatBytes(artifact.size)}</td>
              <td title={formatTime(artifact.created_at)}>
                {formatTimeAgo(artifact.created_at)}
              </td>
              <td>
                <code title={artifact.sha256}>
                  {artifact.sha256.slice(0, 12)}
                </code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {model.hasMoreArtifacts && (
        <div className="jp-DLExperiments-more">
          <button
            type="button"
            className="jp-DLPanel-button"
            onClick={() => void model.loadMoreArtifacts()}
          >
            {trans.__('Load more')}
          </button>
        </div>
      )}
    </>
  );
}
