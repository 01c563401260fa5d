/**
 * The runs of a project as a table: fixed columns, then the chosen
 * parameter and metric columns. Headers sort (on the server), checkboxes
 * select (Shift for a range), a click opens a run. With the keyboard, the
 * arrow keys move between rows, Enter opens and Space selects.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { caretDownIcon, caretUpIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  columnValue,
  formatDuration,
  formatTime,
  formatTimeAgo,
  formatValue,
  formatValueFull,
  isNonFinite
} from '../../shared/format';
import { RunsModel } from '../runsModel';
import { IRun, JSONValue } from '../tokens';
import { StatusBadge } from './StatusBadge';

export interface IRunsTableProps {
  model: RunsModel;
  onOpen: (id: string) => void;
  trans: TranslationBundle;
}

interface IColumn {
  id: string;
  title: string;
  /**
   * Full name for the tooltip.
   */
  tooltip: string;
  sortable: boolean;
  className: string;
  cell: (run: IRun) => React.ReactNode;
}

export function RunsTable(props: IRunsTableProps): JSX.Element {
  const { model, onOpen, trans } = props;
  const runs = model.runs;
  const [focused, setFocused] = React.useState(0);
  const rows = React.useRef<(HTMLTableRowElement | null)[]>([]);
  const focusIndex = Math.min(focused, Math.max(runs.length - 1, 0));

  const columns = tableColumns(model.shownColumns, trans);
  const configColumns = model.shownColumns.filter(c => c.startsWith('config.'));
  const summaryColumns = model.shownColumns.filter(c =>
    c.startsWith('summary.')
  );
  const allSelected =
    runs.length > 0 && runs.every(run => model.isSelected(run.id));
  const someSelected = runs.some(run => model.isSelected(run.id));

  const moveFocus = (index: number): void => {
    const next = Math.max(0, Math.min(runs.length - 1, index));
    setFocused(next);
    rows.current[next]?.focus();
    rows.current[next]?.scrollIntoView({ block: 'nearest' });
  };

  const onKeyDown = (event: React.KeyboardEvent, index: number): void => {
    const run = runs[index];
    switch (event.key) {
      case 'ArrowDown':
        moveFocus(index + 1);
        break;
      case 'ArrowUp':
        moveFocus(index - 1);
        break;
      case 'Home':
        moveFocus(0);
        break;
      case 'End':
        moveFocus(runs.length - 1);
        if (model.hasMore) {
          void model.loadMore();
        }
        break;
      case 'Enter':
        onOpen(run.id);
        break;
      case ' ':
        model.select(run.id, { range: event.shiftKey });
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const onRowClick = (event: React.MouseEvent, run: IRun, index: number) => {
    setFocused(index);
    if (event.shiftKey) {
      model.select(run.id, { range: true });
    } else if (event.ctrlKey || event.metaKey) {
      model.select(run.id);
    } else {
      onOpen(run.id);
    }
  };

  return (
    <table
      className="jp-DLExperiments-table"
      aria-label={trans.__('Runs of %1', model.project ?? '')}
      aria-rowcount={model.total ?? runs.length}
      aria-busy={model.isLoading}
      aria-multiselectable="true"
      role="grid"
      data-testid="dl-runs-table"
    >
      <thead>
        {(configColumns.length > 0 || summaryColumns.length > 0) && (
          <tr className="jp-DLExperiments-groupRow" aria-hidden="true">
            <th colSpan={columns.length - model.shownColumns.length + 1} />
            {configColumns.length > 0 && (
              <th
                colSpan={configColumns.length}
                className="jp-DLExperiments-groupHeader"
              >
                {trans.__('Parameters')}
              </th>
            )}
            {summaryColumns.length > 0 && (
              <th
                colSpan={summaryColumns.length}
                className="jp-DLExperiments-groupHeader"
              >
                {trans.__('Metrics')}
              </th>
            )}
          </tr>
        )}
        <tr>
          <th className="jp-DLExperiments-selectCell" scope="col">
            <input
              type="checkbox"
              checked={allSelected}
              ref={input => {
                if (input) {
                  input.indeterminate = someSelected && !allSelected;
                }
              }}
              disabled={runs.length === 0}
              onChange={() => model.toggleAll()}
              aria-label={trans.__('Select all shown runs')}
              data-testid="dl-select-all"
            />
          </th>
          {columns.map(column => {
            const sorted = model.query.sort === column.id;
            const order = model.query.order;
            return (
              <th
                key={column.id}
                scope="col"
                className={column.className}
                aria-sort={
                  sorted
                    ? order === 'asc'
                      ? 'ascending'
                      : 'descending'
                    : undefined
                }
                data-column={column.id}
                title={column.tooltip}
              >
                {column.sortable ? (
                  <button
                    type="button"
                    className="jp-DLExperiments-sortButton"
                    onClick={() => model.sortBy(column.id)}
                    data-testid={`dl-sort-${column.id}`}
                  >
                    <span className="jp-DLExperiments-headerText">
                      {column.title}
                    </span>
                    {sorted &&
                      (order === 'asc' ? (
                        <caretUpIcon.react
                          tag="span"
                          className="jp-DLExperiments-sortIcon"
                        />
                      ) : (
                        <caretDownIcon.react
                          tag="span"
                          className="jp-DLExperiments-sortIcon"
                        />
                      ))}
                  </button>
                ) : (
                  <span className="jp-DLExperiments-headerText">
                    {column.title}
                  </span>
                )}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {runs.map((run, index) => {
          const selected = model.isSelected(run.id);
          return (
            <tr
              key={run.id}
              ref={node => {
                rows.current[index] = node;
              }}
              className={
                'jp-DLExperiments-row' +
                (selected ? ' jp-mod-selected' : '') +
                (run.archived ? ' jp-mod-archived' : '')
              }
              tabIndex={index === focusIndex ? 0 : -1}
              aria-selected={selected}
              aria-rowindex={index + 1}
              data-run-id={run.id}
              data-testid="dl-run-row"
              onClick={event => onRowClick(event, run, index)}
              onKeyDown={event => onKeyDown(event, index)}
              onFocus={() => setFocused(index)}
            >
              <td
                className="jp-DLExperiments-selectCell"
                onClick={event => event.stopPropagation()}
              >
                <input
                  type="checkbox"
                  checked={selected}
                  tabIndex={-1}
                  onChange={() => undefined}
                  onClick={event => {
                    event.stopPropagation();
                    setFocused(index);
                    model.select(run.id, { range: event.shiftKey });
                  }}
                  aria-label={trans.__('Select %1', run.name)}
                  data-testid="dl-run-select"
                />
              </td>
              {columns.map(column => (
                <td key={column.id} className={column.className}>
                  {column.cell(run)}
                </td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * The table's columns: the fixed ones, then the chosen extra ones.
 */
function tableColumns(shown: string[], trans: TranslationBundle): IColumn[] {
  const fixed: IColumn[] = [
    {
      id: 'name',
      title: trans.__('Name'),
      tooltip: trans.__('Run name'),
      sortable: true,
      className: 'jp-DLExperiments-nameCell',
      cell: run => (
        <span className="jp-DLExperiments-runName" title={run.id}>
          {run.name}
          {run.archived && (
            <span className="jp-DLExperiments-archivedMark">
              {trans.__('archived')}
            </span>
          )}
        </span>
      )
    },
    {
      id: 'status',
      title: trans.__('Status'),
      tooltip: trans.__('Run status'),
      sortable: true,
      className: 'jp-DLExperiments-statusCell',
      cell: run => <StatusBadge status={run.status} trans={trans} />
    },
    {
      id: 'created_at',
      title: trans.__('Created'),
      tooltip: trans.__('When the run started'),
      sortable: true,
      className: 'jp-DLExperiments-timeCell',
      cell: run => (
        <span title={formatTime(run.created_at)}>
          {formatTimeAgo(run.created_at)}
        </span>
      )
    },
    {
      id: 'duration',
      title: trans.__('Duration'),
      tooltip: trans.__('How long the run ran'),
      sortable: true,
      className: 'jp-DLExperiments-numberCell',
      cell: run => formatDuration(run.duration)
    },
    {
      id: 'tags',
      title: trans.__('Tags'),
      tooltip: trans.__('Tags'),
      sortable: false,
      className: 'jp-DLExperiments-tagsCell',
      cell: run => (
        <span className="jp-DLExperiments-tagList">
          {run.tags.map(tag => (
            <span className="jp-DLExperiments-tag" key={tag}>
              {tag}
            </span>
          ))}
        </span>
      )
    }
  ];
  const extra: IColumn[] = shown.map(column => {
    const key = column.slice(column.indexOf('.') + 1);
    return {
      id: column,
      title: key,
      tooltip: column,
      sortable: true,
      className: 'jp-DLExperiments-valueCell',
      cell: run => <ValueCell value={columnValue(run, column)} />
    };
  });
  return [...fixed, ...extra];
}

function ValueCell(props: { value: JSONValue | undefined }): JSX.Element {
  const { value } = props;
  const text = formatValue(value);
  const className =
    typeof value === 'number'
      ? 'jp-DLExperiments-value jp-mod-number'
      : isNonFinite(value)
        ? 'jp-DLExperiments-value jp-mod-number jp-mod-nonFinite'
        : 'jp-DLExperiments-value';
  return (
    <span className={className} title={formatValueFull(value)}>
      {text}
    </span>
  );
}
