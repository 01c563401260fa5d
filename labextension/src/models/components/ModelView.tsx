/**
 * One model: its name, description (editable), aliases (set, move and
 * remove them from the keyboard), then its versions with the chosen one in
 * detail, and the history of its aliases.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { addIcon, closeIcon, editIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';
import { formatTime, formatTimeAgo } from '../../shared/format';
import { SharingButton } from '../../shared/sharing';
import { TabList, tabPanelProps } from '../../shared/tabs';
import { ModelModel } from '../modelModel';
import { ALIAS_PATTERN, IModel, IModelVersion } from '../tokens';
import { HistoryTable } from './HistoryTable';
import { VersionDetail } from './VersionDetail';
import { VersionsTable } from './VersionsTable';

const TABS_ID = 'jp-DLModels-model';

/**
 * Aliases offered when setting one, beside those the model has.
 */
const COMMON_ALIASES = ['staging', 'production', 'candidate'];

export interface IModelViewProps {
  model: ModelModel;
  onDeploy: (version: IModelVersion) => void;
  onOpenRun: (id: string, project: string) => void;
  onOpenDataset: ((dataset: string, version: string) => void) | null;
  trans: TranslationBundle;
}

type TabId = 'versions' | 'history';

export function ModelView(props: IModelViewProps): JSX.Element {
  const { model, trans } = props;
  const [tab, setTab] = React.useState<TabId>('versions');
  const info = model.model;

  if (info === null) {
    return (
      <div className="jp-DLModels-model" data-testid="dl-model-view">
        {model.error ? (
          <ErrorBanner
            error={model.error}
            title={trans.__('Could not load model %1.', model.name)}
            trans={trans}
            onRetry={() => void model.refresh()}
          />
        ) : (
          <Loading text={trans.__('Loading %1…', model.name)} />
        )}
      </div>
    );
  }

  const selected = model.selected;
  return (
    <div
      className="jp-DLModels-model"
      data-testid="dl-model-view"
      data-model={info.name}
    >
      <header className="jp-DLModels-header">
        <div className="jp-DLModels-titleRow">
          <h2 className="jp-DLModels-title" data-testid="dl-model-name">
            {info.name}
          </h2>
          <span className="jp-DLModels-muted">
            {trans._n('%1 version', '%1 versions', info.versions)}
          </span>
          <SharingButton kind="model" name={info.name} trans={trans} />
          <span className="jp-DLPanel-spacer" />
          {(model.isLoading || model.isSaving) && (
            <Spinner label={trans.__('Working')} />
          )}
        </div>
        <Description model={model} info={info} trans={trans} />
        <dl className="jp-DLModels-facts">
          <div className="jp-DLModels-fact">
            <dt>{trans.__('Owner')}</dt>
            <dd>{info.owner ?? '—'}</dd>
          </div>
          <div className="jp-DLModels-fact">
            <dt>{trans.__('Created')}</dt>
            <dd title={formatTime(info.created_at)}>
              {formatTimeAgo(info.created_at)}
            </dd>
          </div>
          <div className="jp-DLModels-fact">
            <dt>{trans.__('Updated')}</dt>
            <dd title={formatTime(info.updated_at)}>
              {formatTimeAgo(info.updated_at)}
            </dd>
          </div>
        </dl>
        <AliasBar model={model} info={info} trans={trans} />
      </header>
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('Could not refresh the model.')}
          trans={trans}
          onRetry={() => void model.refresh()}
        />
      )}
      {model.saveError && <EditError model={model} trans={trans} />}
      <TabList
        tabs={[
          {
            id: 'versions',
            label: trans.__('Versions (%1)', info.versions)
          },
          { id: 'history', label: trans.__('Alias history') }
        ]}
        current={tab}
        onChange={setTab}
        label={trans.__('Model details')}
        idPrefix={TABS_ID}
        testIdPrefix="dl-model-tab-"
      />
      <div className="jp-DLModels-tabPanel" {...tabPanelProps(TABS_ID, tab)}>
        {tab === 'versions' &&
          (model.versions.isLoaded ? (
            model.versions.items.length === 0 ? (
              <Empty testId="dl-no-versions">
                {trans.__(
                  '%1 has no versions left. Publish one with dl.publish(model, "%1", example_input=x).',
                  info.name
                )}
              </Empty>
            ) : (
              <>
                <VersionsTable model={model} trans={trans} />
                {selected ? (
                  <VersionDetail
                    key={selected.version}
                    model={model}
                    version={selected}
                    onDeploy={props.onDeploy}
                    onOpenRun={props.onOpenRun}
                    onOpenDataset={props.onOpenDataset}
                    trans={trans}
                  />
                ) : model.isLoading || model.versions.hasMore ? (
                  <Loading
                    text={trans.__(
                      'Loading version %1…',
                      model.selectedNumber ?? ''
                    )}
                  />
                ) : (
                  <Empty testId="dl-no-version">
                    {trans.__(
                      '%1 has no version %2: it was deleted, or never published.',
                      info.name,
                      model.selectedNumber ?? ''
                    )}
                  </Empty>
                )}
              </>
            )
          ) : model.versions.error ? (
            <ErrorBanner
              error={model.versions.error}
              title={trans.__('Could not load the versions.')}
              trans={trans}
              onRetry={() => void model.refresh()}
            />
          ) : (
            <Loading text={trans.__('Loading versions…')} />
          ))}
        {tab === 'history' && <HistoryTable model={model} trans={trans} />}
      </div>
    </div>
  );
}

/**
 * The error of the last edit, e.g. why a version cannot be deleted.
 */
function EditError(props: {
  model: ModelModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const failed = model.saveError;
  if (!failed) {
    return null;
  }
  let title: string;
  switch (failed.action) {
    case 'description':
      title = trans.__('Could not save the description.');
      break;
    case 'setAlias':
      title = trans.__('Could not set alias %1.', failed.subject);
      break;
    case 'removeAlias':
      title = trans.__('Could not remove alias %1.', failed.subject);
      break;
    default:
      title = trans.__('Could not delete version %1.', failed.subject);
  }
  return (
    <div className="jp-DLModels-editError">
      <ErrorBanner error={failed.error} title={title} trans={trans} />
      <button
        type="button"
        className="jp-DLPanel-iconButton"
        onClick={() => model.dismissError()}
        title={trans.__('Dismiss')}
        aria-label={trans.__('Dismiss the error')}
        data-testid="dl-dismiss-error"
      >
        <closeIcon.react tag="span" />
      </button>
    </div>
  );
}

function Description(props: {
  model: ModelModel;
  info: IModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, info, trans } = props;
  const [draft, setDraft] = React.useState<string | null>(null);
  const save = async (): Promise<void> => {
    if (draft !== null && (await model.setDescription(draft))) {
      setDraft(null);
    }
  };

  if (draft === null) {
    return (
      <div className="jp-DLModels-descriptionRow">
        <p
          className={
            'jp-DLModels-description' +
            (info.description ? '' : ' jp-mod-empty')
          }
          data-testid="dl-model-description"
        >
          {info.description || trans.__('No description.')}
        </p>
        <button
          type="button"
          className="jp-DLPanel-iconButton"
          title={trans.__('Edit the description')}
          aria-label={trans.__('Edit the description')}
          onClick={() => setDraft(info.description)}
          data-testid="dl-edit-description"
        >
          <editIcon.react tag="span" />
        </button>
      </div>
    );
  }
  return (
    <form
      className="jp-DLModels-descriptionForm"
      onSubmit={event => {
        event.preventDefault();
        void save();
      }}
    >
      <textarea
        className="jp-DLModels-textArea"
        value={draft}
        rows={3}
        autoFocus
        placeholder={trans.__(
          'What the model does, what it was trained on, how to call it'
        )}
        aria-label={trans.__('Description of %1', info.name)}
        onChange={event => setDraft(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            void save();
          } else if (event.key === 'Escape') {
            event.preventDefault();
            event.stopPropagation();
            setDraft(null);
          }
        }}
        data-testid="dl-description-input"
      />
      <div className="jp-DLModels-formActions">
        <button
          type="submit"
          className="jp-DLPanel-button jp-mod-accept"
          disabled={model.isSaving}
          data-testid="dl-description-save"
        >
          {trans.__('Save')}
        </button>
        <button
          type="button"
          className="jp-DLPanel-button"
          onClick={() => setDraft(null)}
        >
          {trans.__('Cancel')}
        </button>
        <span className="jp-DLModels-hint">
          {trans.__('Ctrl+Enter saves, Escape cancels')}
        </span>
      </div>
    </form>
  );
}

/**
 * The aliases as chips (each opens its version, and can be removed), and a
 * form to point an alias at a version.
 */
function AliasBar(props: {
  model: ModelModel;
  info: IModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, info, trans } = props;
  const [editing, setEditing] = React.useState(false);
  const [alias, setAlias] = React.useState('');
  const [version, setVersion] = React.useState<number | null>(null);
  const versions = model.versions.items.map(v => v.version);
  const chosen = version ?? model.selectedNumber ?? versions[0] ?? null;
  const trimmed = alias.trim();
  const invalid = trimmed !== '' && !ALIAS_PATTERN.test(trimmed);
  const suggestions = [
    ...new Set([...info.aliases.map(a => a.alias), ...COMMON_ALIASES])
  ];
  const listId = `jp-DLModels-aliases-${info.id}`;

  const close = (): void => {
    setEditing(false);
    setAlias('');
    setVersion(null);
  };
  const submit = async (): Promise<void> => {
    if (!trimmed || invalid || chosen === null) {
      return;
    }
    if (await model.setAlias(trimmed, chosen)) {
      close();
    }
  };

  return (
    <div className="jp-DLModels-aliasBar" data-testid="dl-aliases">
      <span className="jp-DLModels-fieldLabel">{trans.__('Aliases')}</span>
      {info.aliases.length === 0 && !editing && (
        <span className="jp-DLModels-muted">{trans.__('none')}</span>
      )}
      <ul className="jp-DLModels-chipRow" aria-label={trans.__('Aliases')}>
        {info.aliases.map(a => (
          <li
            className="jp-DLModels-alias"
            key={a.alias}
            data-testid="dl-alias"
            data-alias={a.alias}
            data-version={a.version}
          >
            <button
              type="button"
              className="jp-DLModels-aliasOpen"
              onClick={() => model.select(a.version)}
              title={trans.__(
                'Show version %1 (set by %2, %3)',
                a.version,
                a.set_by ?? '—',
                formatTime(a.set_at)
              )}
            >
              <span>{a.alias}</span>
              <span className="jp-DLModels-aliasVersion">{`v${a.version}`}</span>
            </button>
            <button
              type="button"
              className="jp-DLModels-aliasRemove"
              disabled={model.isSaving}
              onClick={() => void model.removeAlias(a.alias)}
              aria-label={trans.__('Remove alias %1', a.alias)}
              title={trans.__('Remove alias %1', a.alias)}
              data-testid="dl-alias-remove"
            >
              <closeIcon.react tag="span" />
            </button>
          </li>
        ))}
      </ul>
      {editing ? (
        <form
          className="jp-DLModels-aliasForm"
          onSubmit={event => {
            event.preventDefault();
            void submit();
          }}
          onKeyDown={event => {
            if (event.key === 'Escape') {
              event.preventDefault();
              event.stopPropagation();
              close();
            } else if (
              event.key === 'Enter' &&
              (event.target as HTMLElement).tagName === 'SELECT'
            ) {
              // A select does not submit its form on Enter by itself.
              event.preventDefault();
              void submit();
            }
          }}
        >
          <input
            className="jp-DLModels-textInput"
            value={alias}
            list={listId}
            autoFocus
            placeholder={trans.__('alias')}
            aria-label={trans.__('Alias name')}
            aria-invalid={invalid}
            onChange={event => setAlias(event.target.value)}
            data-testid="dl-alias-name"
          />
          <datalist id={listId}>
            {suggestions.map(name => (
              <option key={name} value={name} />
            ))}
          </datalist>
          <span aria-hidden="true">→</span>
          <select
            className="jp-DLModels-select"
            value={chosen ?? ''}
            aria-label={trans.__('Version the alias points at')}
            onChange={event => setVersion(Number(event.target.value))}
            data-testid="dl-alias-version"
          >
            {versions.map(v => (
              <option key={v} value={v}>
                {trans.__('version %1', v)}
              </option>
            ))}
          </select>
          <button
            type="submit"
            className="jp-DLPanel-button jp-mod-accept"
            disabled={!trimmed || invalid || chosen === null || model.isSaving}
            data-testid="dl-alias-set"
          >
            {trans.__('Set')}
          </button>
          <button type="button" className="jp-DLPanel-button" onClick={close}>
            {trans.__('Cancel')}
          </button>
          {invalid && (
            <span className="jp-DLModels-invalid" role="alert">
              {trans.__(
                'Lower-case letters, digits, - and _, starting with a letter'
              )}
            </span>
          )}
        </form>
      ) : (
        <button
          type="button"
          className="jp-DLPanel-button"
          onClick={() => setEditing(true)}
          disabled={versions.length === 0}
          data-testid="dl-alias-add"
        >
          <addIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
          <span>{trans.__('Set alias')}</span>
        </button>
      )}
    </div>
  );
}
