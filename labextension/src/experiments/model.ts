/**
 * The state of the whole Experiments panel: which view is on show (the runs
 * table, one run, or a comparison) and the model behind each. Only the view
 * on show is active, so only it refreshes live.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ITrackingAPI } from './api';
import { CompareModel } from './compareModel';
import { RunModel } from './runModel';
import { RunsModel } from './runsModel';
import { IRun } from './tokens';

export type ExperimentsView = 'runs' | 'run' | 'compare';

export class ExperimentsModel {
  constructor(options: ExperimentsModel.IOptions) {
    this._api = options.api;
    this.runs = new RunsModel({ api: options.api, columns: options.columns });
  }

  /**
   * The runs table, kept while a run or a comparison is on show.
   */
  readonly runs: RunsModel;

  /**
   * Emitted when the view on show changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get view(): ExperimentsView {
    return this._view;
  }

  /**
   * The run on show, `null` in the other views.
   */
  get run(): RunModel | null {
    return this._run;
  }

  /**
   * The comparison on show, `null` in the other views.
   */
  get compare(): CompareModel | null {
    return this._compare;
  }

  get isActive(): boolean {
    return this._isActive;
  }

  set isActive(value: boolean) {
    if (value === this._isActive) {
      return;
    }
    this._isActive = value;
    this._activate();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load the projects and the runs of `project` (or of the latest project).
   */
  async start(project?: string | null): Promise<void> {
    await this.runs.loadProjects(project);
  }

  showRuns(): void {
    this._close();
    this._view = 'runs';
    this._activate();
    this._changed.emit();
  }

  openRun(id: string): void {
    this._close();
    const run = new RunModel({ api: this._api, id });
    run.runUpdated.connect((_, updated: IRun) => this.runs.updateRun(updated));
    run.deleted.connect((_, deleted: string) => {
      this.runs.removeRun(deleted);
      this.showRuns();
    });
    this._run = run;
    this._view = 'run';
    this._activate();
    this._changed.emit();
    void run.refresh();
  }

  /**
   * Compare runs, the selected ones by default.
   */
  openCompare(ids: string[] = this.runs.selection.map(run => run.id)): void {
    if (ids.length < 2) {
      return;
    }
    this._close();
    const compare = new CompareModel({ api: this._api, runs: ids });
    this._compare = compare;
    this._view = 'compare';
    this._activate();
    this._changed.emit();
    void compare.refresh();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._close();
    this.runs.dispose();
    Signal.clearData(this);
  }

  private _activate(): void {
    this.runs.isActive = this._isActive && this._view === 'runs';
    if (this._run) {
      this._run.isActive = this._isActive && this._view === 'run';
    }
    if (this._compare) {
      this._compare.isActive = this._isActive && this._view === 'compare';
    }
  }

  private _close(): void {
    this._run?.dispose();
    this._run = null;
    this._compare?.dispose();
    this._compare = null;
  }

  private _api: ITrackingAPI;
  private _changed = new Signal<this, void>(this);
  private _compare: CompareModel | null = null;
  private _isActive = false;
  private _isDisposed = false;
  private _run: RunModel | null = null;
  private _view: ExperimentsView = 'runs';
}

export namespace ExperimentsModel {
  export interface IOptions {
    api: ITrackingAPI;
    /**
     * Columns chosen per project in an earlier session.
     */
    columns?: Record<string, string[]>;
  }
}
