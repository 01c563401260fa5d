/**
 * A drop-down of checkboxes choosing which parameter (`config.<key>`) and
 * metric (`summary.<key>`) columns the runs table shows.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { caretDownEmptyIcon, tableRowsIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IRunColumns } from '../tokens';

export interface IColumnPickerProps {
  columns: IRunColumns | null;
  shown: string[];
  onToggle: (column: string) => void;
  trans: TranslationBundle;
}

export function ColumnPicker(props: IColumnPickerProps): JSX.Element {
  const { columns, onToggle, shown, trans } = props;
  const [open, setOpen] = React.useState(false);
  const root = React.useRef<HTMLDivElement>(null);
  const button = React.useRef<HTMLButtonElement>(null);

  React.useEffect(() => {
    if (!open) {
      return;
    }
    const close = (event: MouseEvent): void => {
      if (!root.current?.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', close, true);
    return () => document.removeEventListener('mousedown', close, true);
  }, [open]);

  const group = (title: string, prefix: string, keys: string[]) => (
    <fieldset className="jp-DLExperiments-columnGroup">
      <legend>{title}</legend>
      {keys.length === 0 ? (
        <div className="jp-DLExperiments-columnNone">{trans.__('None')}</div>
      ) : (
        keys.map(key => {
          const column = `${prefix}.${key}`;
          return (
            <label
              key={column}
              className="jp-DLExperiments-columnChoice"
              title={column}
            >
              <input
                type="checkbox"
                checked={shown.includes(column)}
                onChange={() => onToggle(column)}
                data-testid={`dl-column-choice-${column}`}
              />
              <span>{key}</span>
            </label>
          );
        })
      )}
    </fieldset>
  );

  return (
    <div
      className="jp-DLExperiments-columnPicker"
      ref={root}
      onKeyDown={event => {
        if (event.key === 'Escape' && open) {
          event.stopPropagation();
          setOpen(false);
          button.current?.focus();
        }
      }}
    >
      <button
        ref={button}
        type="button"
        className="jp-DLPanel-button"
        aria-haspopup="true"
        aria-expanded={open}
        disabled={columns === null}
        onClick={() => setOpen(!open)}
        data-testid="dl-columns-button"
        title={trans.__('Choose the parameter and metric columns')}
      >
        <tableRowsIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
        <span>{trans.__('Columns')}</span>
        <caretDownEmptyIcon.react
          tag="span"
          className="jp-DLPanel-buttonIcon"
        />
      </button>
      {open && columns !== null && (
        <div
          className="jp-DLExperiments-columnMenu"
          role="dialog"
          aria-label={trans.__('Table columns')}
          data-testid="dl-columns-menu"
        >
          {group(trans.__('Parameters'), 'config', columns.config)}
          {group(trans.__('Metrics'), 'summary', columns.summary)}
        </div>
      )}
    </div>
  );
}
