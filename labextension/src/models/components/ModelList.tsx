/**
 * Down the side of the panel: the models (a search box on the server,
 * more on demand), each with its latest version and aliases, and below
 * them the live and recent deployments. ↑ and ↓ move within a list, Enter
 * or a click opens.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { searchIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';
import { formatDuration, formatTime, formatTimeAgo } from '../../shared/format';
import { LiveList } from '../../shared/liveList';
import { CatalogModel } from '../catalogModel';
import { IDeployment, IModel } from '../tokens';
import { AliasChip, DeploymentStatusBadge } from './badges';

/**
 * Moves focus between the buttons of a list with the arrow keys, Home and End.
 */
function useListKeys(count: number): (index: number) => {
  ref: (node: HTMLButtonElement | null) => void;
  onKeyDown: (event: React.KeyboardEvent) => void;
} {
  const items = React.useRef<(HTMLButtonElement | null)[]>([]);
  return (index: number) => ({
    ref: node => {
      items.current[index] = node;
    },
    onKeyDown: event => {
      let next = index;
      if (event.key === 'ArrowDown') {
        next = Math.min(count - 1, index + 1);
      } else if (event.key === 'ArrowUp') {
        next = Math.max(0, index - 1);
      } else if (event.key === 'Home') {
        next = 0;
      } else if (event.key === 'End') {
        next = count - 1;
      } else {
        return;
      }
      event.preventDefault();
      items.current[next]?.focus();
    }
  });
}

export interface IModelListProps {
  model: CatalogModel;
  /**
   * The model on show.
   */
  current: string | null;
  onOpen: (name: string) => void;
  trans: TranslationBundle;
}

export function ModelList(props: IModelListProps): JSX.Element {
  const { model, current, onOpen, trans } = props;
  const models = model.models;
  const keys = useListKeys(models.length);

  let body: React.ReactNode;
  if (!model.isLoaded && !model.error) {
    body = <Loading text={trans.__('Loading models…')} />;
  } else if (model.isLoaded && models.length === 0) {
    body = (
      <Empty testId="dl-no-models">
        {model.query
          ? trans.__('No model matches “%1”.', model.query)
          : trans.__(
              'No models yet. Publish one from a notebook with dl.publish(model, "name", example_input=x), or from a run in the Experiments panel.'
            )}
      </Empty>
    );
  } else {
    // Tab reaches the model on show (or the first); arrows reach the rest.
    const tabStop = Math.max(
      0,
      models.findIndex(m => m.name === current)
    );
    body = (
      <ul
        className="jp-DLModels-list"
        aria-label={trans.__('Models')}
        data-testid="dl-model-list"
      >
        {models.map((item, index) => {
          const itemKeys = keys(index);
          return (
            <li key={item.name}>
              <ModelItem
                model={item}
                current={item.name === current}
                tabIndex={index === tabStop ? 0 : -1}
                buttonRef={itemKeys.ref}
                onKeyDown={itemKeys.onKeyDown}
                onOpen={() => onOpen(item.name)}
                trans={trans}
              />
            </li>
          );
        })}
      </ul>
    );
  }

  return (
    <section
      className="jp-DLModels-section jp-mod-models"
      aria-label={trans.__('Models')}
    >
      <h3 className="jp-DLModels-sectionHeader">{trans.__('Models')}</h3>
      <div className="jp-DLModels-search" role="search">
        <div className="jp-DLModels-input">
          <searchIcon.react tag="span" className="jp-DLModels-inputIcon" />
          <input
            type="search"
            value={model.searchText}
            placeholder={trans.__('Search models')}
            aria-label={trans.__('Search model names')}
            onChange={event => model.setSearchText(event.target.value)}
            data-testid="dl-model-search"
          />
          {model.isLoading && model.isLoaded && (
            <Spinner label={trans.__('Searching')} />
          )}
        </div>
      </div>
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('Could not load the models.')}
          trans={trans}
          onRetry={() => void model.refresh()}
        />
      )}
      <div className="jp-DLModels-scroller">
        {body}
        {model.hasMore && (
          <div className="jp-DLModels-more">
            <button
              type="button"
              className="jp-DLPanel-button"
              disabled={model.isLoading}
              onClick={() => void model.loadMore()}
              data-testid="dl-model-more"
            >
              {model.isLoading && <Spinner />}
              {trans.__('Load more')}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}

function ModelItem(props: {
  model: IModel;
  current: boolean;
  tabIndex: number;
  buttonRef: (node: HTMLButtonElement | null) => void;
  onOpen: () => void;
  onKeyDown: (event: React.KeyboardEvent) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, current, trans } = props;
  return (
    <button
      type="button"
      ref={props.buttonRef}
      className={'jp-DLModels-item' + (current ? ' jp-mod-current' : '')}
      aria-current={current ? 'true' : undefined}
      tabIndex={props.tabIndex}
      onClick={props.onOpen}
      onKeyDown={props.onKeyDown}
      data-testid="dl-model-item"
      data-model={model.name}
    >
      <span className="jp-DLModels-itemTitle">
        <span className="jp-DLModels-itemName">{model.name}</span>
        {model.latest_version !== null && (
          <span
            className="jp-DLModels-versionBadge"
            title={trans.__('Latest version')}
          >
            {`v${model.latest_version}`}
          </span>
        )}
      </span>
      {model.description && (
        <span className="jp-DLModels-itemDescription">{model.description}</span>
      )}
      {model.aliases.length > 0 && (
        <span className="jp-DLModels-chipRow">
          {model.aliases.map(alias => (
            <AliasChip
              key={alias.alias}
              alias={`${alias.alias} → v${alias.version}`}
            />
          ))}
        </span>
      )}
      <span
        className="jp-DLModels-itemMeta"
        title={formatTime(model.updated_at)}
      >
        {trans.__(
          '%1 · updated %2',
          trans._n('%1 version', '%1 versions', model.versions),
          formatTimeAgo(model.updated_at)
        )}
      </span>
    </button>
  );
}

export interface IDeploymentListProps {
  list: LiveList<IDeployment>;
  /**
   * The deployment on show.
   */
  current: string | null;
  onOpen: (deployment: IDeployment) => void;
  trans: TranslationBundle;
}

/**
 * Live deployments first, then the ones that ended, newest first in each.
 */
export function DeploymentList(props: IDeploymentListProps): JSX.Element {
  const { list, current, onOpen, trans } = props;
  const live = (d: IDeployment): number =>
    d.status === 'starting' || d.status === 'running' ? 0 : 1;
  const deployments = [...list.items].sort((a, b) => live(a) - live(b));
  const keys = useListKeys(deployments.length);
  const liveCount = deployments.filter(d => live(d) === 0).length;

  let body: React.ReactNode;
  if (!list.isLoaded && !list.error) {
    body = <Loading text={trans.__('Loading deployments…')} />;
  } else if (list.isLoaded && deployments.length === 0) {
    body = (
      <Empty testId="dl-no-deployments">
        {trans.__('Nothing deployed yet: open a version and press Deploy.')}
      </Empty>
    );
  } else {
    const tabStop = Math.max(
      0,
      deployments.findIndex(d => d.id === current)
    );
    body = (
      <ul
        className="jp-DLModels-list"
        aria-label={trans.__('Deployments')}
        data-testid="dl-deployment-list"
      >
        {deployments.map((deployment, index) => (
          <li key={deployment.id}>
            <button
              type="button"
              {...keys(index)}
              className={
                'jp-DLModels-item jp-mod-deployment' +
                (deployment.id === current ? ' jp-mod-current' : '')
              }
              aria-current={deployment.id === current ? 'true' : undefined}
              tabIndex={index === tabStop ? 0 : -1}
              onClick={() => onOpen(deployment)}
              data-testid="dl-deployment-item"
              data-deployment-id={deployment.id}
              data-status={deployment.status}
            >
              <span className="jp-DLModels-itemTitle">
                <span className="jp-DLModels-itemName">{deployment.ref}</span>
                <DeploymentStatusBadge
                  status={deployment.status}
                  trans={trans}
                  testId="dl-deployment-item-status"
                />
              </span>
              <span
                className="jp-DLModels-itemMeta"
                title={formatTime(deployment.created_at)}
              >
                {deploymentSummary(deployment, trans)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    );
  }

  return (
    <section
      className="jp-DLModels-section jp-mod-deployments"
      aria-label={trans.__('Deployments')}
    >
      <h3 className="jp-DLModels-sectionHeader">
        <span className="jp-DLModels-sectionTitle">
          {trans.__('Deployments')}
        </span>
        {liveCount > 0 && (
          <span
            className="jp-DLModels-count"
            title={trans._n('%1 live', '%1 live', liveCount)}
            data-testid="dl-live-deployments"
          >
            {liveCount}
          </span>
        )}
      </h3>
      {list.error && (
        <ErrorBanner
          error={list.error}
          title={trans.__('Could not load the deployments.')}
          trans={trans}
          onRetry={() => void list.reload()}
        />
      )}
      <div className="jp-DLModels-scroller">
        {body}
        {list.hasMore && (
          <div className="jp-DLModels-more">
            <button
              type="button"
              className="jp-DLPanel-button"
              disabled={list.isLoadingMore}
              onClick={() => void list.loadMore()}
            >
              {list.isLoadingMore && <Spinner />}
              {trans.__('Load more')}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}

/**
 * One line on a deployment: version, where it listens, for how long.
 */
export function deploymentSummary(
  deployment: IDeployment,
  trans: TranslationBundle
): string {
  const version = trans.__('v%1', deployment.version);
  switch (deployment.status) {
    case 'running':
      return trans.__(
        '%1 · port %2 · up %3',
        version,
        deployment.port ?? '—',
        formatDuration(deployment.uptime) || '0 s'
      );
    case 'starting':
      return trans.__(
        '%1 · started %2',
        version,
        formatTimeAgo(deployment.created_at)
      );
    default:
      return trans.__(
        '%1 · ended %2',
        version,
        formatTimeAgo(deployment.ended_at ?? deployment.created_at)
      );
  }
}
