/**
 * The code that loads a dataset version in a notebook, and putting it in
 * the notebook a person last worked in: a new cell below the active one,
 * with the import the code needs when the notebook lacks it.
 */
import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

/**
 * The import the snippet relies on.
 */
export const IMPORT_LINE = 'import jupyter_dl as dl';

const IMPORT_PATTERN = /^\s*import\s+jupyter_dl\s+as\s+dl\b/m;

/**
 * `ds = dl.dataset("<name>", version="<version>")`, after the import when
 * `withImport`. Names and refs are plain ASCII (letters, digits, `._-`), so
 * a JSON string is a Python string.
 */
export function datasetSnippet(
  dataset: string,
  version: string,
  withImport: boolean
): string {
  const line = `ds = dl.dataset(${JSON.stringify(dataset)}, version=${JSON.stringify(version)})`;
  return withImport ? `${IMPORT_LINE}\n${line}` : line;
}

/**
 * Whether code already imports `jupyter_dl as dl`.
 */
export function importsPlatform(sources: Iterable<string>): boolean {
  for (const source of sources) {
    if (IMPORT_PATTERN.test(source)) {
      return true;
    }
  }
  return false;
}

/**
 * Where the Datasets panel inserts code.
 */
export interface ISnippetTarget {
  /**
   * Emitted when the notebook code would go into changes.
   */
  readonly changed: ISignal<ISnippetTarget, void>;
  /**
   * The name of that notebook, `null` when no notebook is open.
   */
  readonly notebookName: string | null;
  /**
   * Insert the snippet for a version; whether there was a notebook.
   */
  insertDataset(dataset: string, version: string): boolean;
}

/**
 * The notebook a person last worked in, as the notebook tracker knows it.
 */
export class NotebookSnippetTarget implements ISnippetTarget {
  constructor(tracker: INotebookTracker, trans: TranslationBundle) {
    this._tracker = tracker;
    this._trans = trans;
    tracker.currentChanged.connect(this._onCurrentChanged, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get notebookName(): string | null {
    const panel = this._tracker.currentWidget;
    return panel && !panel.isDisposed ? panel.title.label : null;
  }

  insertDataset(dataset: string, version: string): boolean {
    const panel = this._tracker.currentWidget;
    const notebook = panel?.content;
    if (!panel || !notebook?.model) {
      return false;
    }
    const sources: string[] = [];
    for (const cell of notebook.model.cells) {
      if (cell.type === 'code') {
        sources.push(cell.sharedModel.getSource());
      }
    }
    const code = datasetSnippet(dataset, version, !importsPlatform(sources));
    NotebookActions.insertBelow(notebook);
    if (notebook.activeCell?.model.type !== 'code') {
      NotebookActions.changeCellType(notebook, 'code');
    }
    notebook.activeCell?.model.sharedModel.setSource(code);
    Notification.success(
      this._trans.__(
        'Inserted %1@%2 into %3',
        dataset,
        version,
        panel.title.label
      ),
      { autoClose: 3000 }
    );
    return true;
  }

  private _onCurrentChanged(): void {
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _tracker: INotebookTracker;
  private _trans: TranslationBundle;
}
