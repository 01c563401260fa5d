/**
 * The runs view: project, search and filters above the runs table, and a
 * footer counting runs and selection with more runs on demand (or on
 * scrolling to the end).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import {
  closeIcon,
  downloadIcon,
  filterIcon,
  HTMLSelect,
  searchIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { RunsModel } from '../runsModel';
import { IRunQuery } from '../tokens';
import { ColumnPicker } from './ColumnPicker';
import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';
import { RunsTable } from './RunsTable';
import { SharingButton } from '../../shared/sharing';

export interface IRunsViewProps {
  model: RunsModel;
  onOpen: (id: string) => void;
  onCompare: () => void;
  trans: TranslationBundle;
}

export function RunsView(props: IRunsViewProps): JSX.Element {
  const { model, trans } = props;
  const project = model.project;

  let body: React.ReactNode;
  if (model.projectsLoading && model.projects.length === 0) {
    body = <Loading text={trans.__('Loading projects…')} />;
  } else if (project === null) {
    body = model.error ? null : (
      <Empty testId="dl-no-projects">
        {trans.__(
          'No runs yet. Runs logged from notebooks and training jobs appear here, grouped by project.'
        )}
      </Empty>
    );
  } else if (model.runs.length === 0 && model.isLoading) {
    body = <Loading text={trans.__('Loading runs…')} />;
  } else {
    body = (
      <>
        <RunsTable model={model} onOpen={props.onOpen} trans={trans} />
        {model.runs.length === 0 &&
          !model.isLoading &&
          model.error === null && (
            <Empty testId="dl-no-runs">
              {model.query.q || model.query.filters.length > 0
                ? trans.__('No runs match the search and filters.')
                : model.query.archived === 'true'
                  ? trans.__('No archived runs in %1.', project)
                  : trans.__('No runs in %1.', project)}
            </Empty>
          )}
        <MoreRuns model={model} trans={trans} />
      </>
    );
  }

  return (
    <div className="jp-DLExperiments-runsView" data-testid="dl-runs-view">
      <FilterBar {...props} />
      {model.query.filters.length > 0 && (
        <FilterChips model={model} trans={trans} />
      )}
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('Could not load runs.')}
          trans={trans}
        />
      )}
      <div className="jp-DLExperiments-tableScroller">{body}</div>
      <Footer {...props} />
    </div>
  );
}

function FilterBar(props: IRunsViewProps): JSX.Element {
  const { model, trans } = props;
  const [expression, setExpression] = React.useState('');
  const columns = model.columns;
  const suggestions = [
    'status=running',
    'status=finished',
    'status=failed',
    'tag=',
    ...(columns?.config ?? []).map(key => `config.${key}`),
    ...(columns?.summary ?? []).map(key => `summary.${key}`)
  ];
  const projectOptions = model.projects.map(p => ({
    value: p.name,
    label: `${p.name} (${p.runs})`
  }));
  if (model.project === null) {
    projectOptions.unshift({ value: '', label: trans.__('No projects') });
  }

  return (
    <div
      className="jp-DLExperiments-filterBar"
      role="search"
      aria-label={trans.__('Search and filter runs')}
    >
      <label className="jp-DLExperiments-field">
        <span className="jp-DLExperiments-fieldLabel">
          {trans.__('Project')}
        </span>
        <HTMLSelect
          className="jp-DLExperiments-projectSelect"
          value={model.project ?? ''}
          options={projectOptions}
          disabled={model.projects.length === 0}
          onChange={event => void model.setProject(event.target.value)}
          aria-label={trans.__('Project')}
          data-testid="dl-project-select"
        />
      </label>
      {model.project !== null && (
        <SharingButton kind="project" name={model.project} trans={trans} />
      )}
      <div className="jp-DLExperiments-input jp-DLExperiments-search">
        <searchIcon.react tag="span" className="jp-DLExperiments-inputIcon" />
        <input
          type="search"
          value={model.searchText}
          placeholder={trans.__('Search names')}
          aria-label={trans.__('Search run names')}
          disabled={model.project === null}
          onChange={event => model.setSearchText(event.target.value)}
          data-testid="dl-runs-search"
        />
      </div>
      <form
        className="jp-DLExperiments-input jp-DLExperiments-filterInput"
        onSubmit={event => {
          event.preventDefault();
          model.addFilter(expression);
          setExpression('');
        }}
      >
        <filterIcon.react tag="span" className="jp-DLExperiments-inputIcon" />
        <input
          type="text"
          value={expression}
          list="jp-DLExperiments-filterSuggestions"
          placeholder={trans.__('Filter, e.g. summary.acc>0.9, then Enter')}
          aria-label={trans.__(
            'Add a filter such as config.lr>=0.01, status=finished or tag=baseline'
          )}
          disabled={model.project === null}
          onChange={event => setExpression(event.target.value)}
          data-testid="dl-runs-filter"
        />
        <datalist id="jp-DLExperiments-filterSuggestions">
          {suggestions.map(value => (
            <option key={value} value={value} />
          ))}
        </datalist>
      </form>
      <HTMLSelect
        className="jp-DLExperiments-archivedSelect"
        value={model.query.archived}
        options={[
          { value: 'false', label: trans.__('Active runs') },
          { value: 'true', label: trans.__('Archived runs') },
          { value: 'all', label: trans.__('All runs') }
        ]}
        disabled={model.project === null}
        onChange={event =>
          model.setArchived(event.target.value as IRunQuery['archived'])
        }
        aria-label={trans.__('Which runs to list')}
        data-testid="dl-archived-select"
      />
      <ColumnPicker
        columns={model.columns}
        shown={model.shownColumns}
        onToggle={column => model.toggleColumn(column)}
        trans={trans}
      />
    </div>
  );
}

function FilterChips(props: {
  model: RunsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  return (
    <ul
      className="jp-DLExperiments-chips"
      aria-label={trans.__('Filters')}
      data-testid="dl-filter-chips"
    >
      {model.query.filters.map(filter => (
        <li className="jp-DLExperiments-chip" key={filter}>
          <code>{filter}</code>
          <button
            type="button"
            className="jp-DLExperiments-chipRemove"
            onClick={() => model.removeFilter(filter)}
            aria-label={trans.__('Remove filter %1', filter)}
            title={trans.__('Remove filter')}
          >
            <closeIcon.react tag="span" />
          </button>
        </li>
      ))}
    </ul>
  );
}

/**
 * "Load more", which also fires by itself when scrolled into view.
 */
function MoreRuns(props: {
  model: RunsModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const sentinel = React.useRef<HTMLDivElement>(null);
  const hasMore = model.hasMore;

  React.useEffect(() => {
    const node = sentinel.current;
    if (!node || !hasMore) {
      return;
    }
    const observer = new IntersectionObserver(entries => {
      if (entries.some(entry => entry.isIntersecting)) {
        void model.loadMore();
      }
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasMore, model.runs.length]);

  if (!hasMore) {
    return null;
  }
  return (
    <div className="jp-DLExperiments-more" ref={sentinel}>
      <button
        type="button"
        className="jp-DLPanel-button"
        disabled={model.isLoadingMore}
        onClick={() => void model.loadMore()}
        data-testid="dl-load-more"
      >
        {model.isLoadingMore && <Spinner />}
        {trans.__('Load more')}
      </button>
    </div>
  );
}

function Footer(props: IRunsViewProps): JSX.Element {
  const { model, onCompare, trans } = props;
  const exportURL = model.exportURL;
  const selected = model.selection.length;
  const total = model.total;
  return (
    <div className="jp-DLExperiments-footer" data-testid="dl-runs-footer">
      <span className="jp-DLExperiments-count" data-testid="dl-runs-count">
        {total !== null
          ? trans._n(
              'Showing %2 of %1 run',
              'Showing %2 of %1 runs',
              total,
              model.runs.length
            )
          : model.hasMore
            ? trans.__('Showing the first %1 runs', model.runs.length)
            : model.lastUpdated !== null
              ? trans._n('%1 run', '%1 runs', model.runs.length)
              : ''}
      </span>
      {selected > 0 && (
        <span className="jp-DLExperiments-selectionCount">
          {trans._n('%1 selected', '%1 selected', selected)}
          <button
            type="button"
            className="jp-DLPanel-linkButton"
            onClick={() => model.clearSelection()}
            data-testid="dl-clear-selection"
          >
            {trans.__('Clear')}
          </button>
        </span>
      )}
      <span className="jp-DLPanel-spacer" />
      {model.isLoading && model.runs.length > 0 && (
        <Spinner label={trans.__('Loading runs')} />
      )}
      {exportURL !== null && (
        <a
          className="jp-DLPanel-button"
          href={exportURL}
          download={`${model.project ?? 'runs'}.csv`}
          title={trans.__(
            'Download the runs that match the search and filters as CSV'
          )}
          data-testid="dl-export-csv"
        >
          <downloadIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
          <span>{trans.__('Export CSV')}</span>
        </a>
      )}
      <button
        type="button"
        className="jp-DLPanel-button jp-mod-accept"
        disabled={selected < 2}
        onClick={onCompare}
        title={
          selected < 2
            ? trans.__('Select two or more runs to compare them')
            : trans.__('Compare the selected runs')
        }
        data-testid="dl-compare-button"
      >
        {selected < 2
          ? trans.__('Compare')
          : trans.__('Compare %1 runs', selected)}
      </button>
    </div>
  );
}
