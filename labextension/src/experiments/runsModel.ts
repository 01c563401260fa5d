/**
 * The state behind the runs table: the projects, the chosen project and its
 * column keys, the query (search, filters, sort), the loaded pages of runs,
 * the selection, and a live refresh while any shown run is running.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { ITrackingAPI } from './api';
import { asPlatformError } from '../shared/errors';
import { IProject, IRun, IRunColumns, IRunQuery } from './tokens';

/**
 * Runs per request.
 */
export const PAGE_SIZE = 50;

/**
 * How often shown runs refresh while one of them is running.
 */
const LIVE_INTERVAL_MS = 2000;

/**
 * The longest wait between live refreshes while the server keeps failing.
 */
const LIVE_MAX_INTERVAL_MS = 60 * 1000;

/**
 * How long typing in the search box waits before asking the server.
 */
const SEARCH_DELAY_MS = 300;

/**
 * Parameter and metric columns shown for a project nobody chose columns for.
 */
const DEFAULT_COLUMNS_PER_GROUP = 3;

export class RunsModel {
  constructor(options: RunsModel.IOptions) {
    this._api = options.api;
    this._savedColumns = { ...(options.columns ?? {}) };
    this._poll = new Poll({
      auto: false,
      factory: () => this._refreshLoaded(),
      frequency: {
        interval: LIVE_INTERVAL_MS,
        backoff: true,
        max: LIVE_MAX_INTERVAL_MS
      },
      name: 'jupyter-dl:experiments-runs',
      standby: () =>
        !this._isActive || !this._runs.some(isRunning) || 'when-hidden'
    });
    void this._poll.start();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted when the project or the chosen columns change, so they can be saved.
   */
  get choicesChanged(): ISignal<this, void> {
    return this._choicesChanged;
  }

  get projects(): IProject[] {
    return this._projects;
  }

  get projectsLoading(): boolean {
    return this._projectsLoading;
  }

  get project(): string | null {
    return this._query.project || null;
  }

  /**
   * The config and summary keys of the project's runs, `null` until known.
   */
  get columns(): IRunColumns | null {
    return this._columns;
  }

  /**
   * The chosen extra columns, e.g. `config.lr`, `summary.acc`.
   */
  get shownColumns(): string[] {
    return this._shownColumns;
  }

  /**
   * Chosen columns per project, as saved between sessions.
   */
  get savedColumns(): Record<string, string[]> {
    return this._savedColumns;
  }

  get query(): IRunQuery {
    return this._query;
  }

  /**
   * The CSV of the runs the query matches, as a link; `null` without a project.
   */
  get exportURL(): string | null {
    return this._query.project ? this._api.exportURL(this._query) : null;
  }

  /**
   * The search box as typed, ahead of the query while the search waits.
   */
  get searchText(): string {
    return this._searchText;
  }

  get runs(): IRun[] {
    return this._runs;
  }

  /**
   * How many runs match the query in all; `null` before the first page.
   */
  get total(): number | null {
    return this._total;
  }

  get hasMore(): boolean {
    return this._nextCursor !== null;
  }

  /**
   * Whether a new query is loading (the rows on show are from the last one).
   */
  get isLoading(): boolean {
    return this._isLoading;
  }

  get isLoadingMore(): boolean {
    return this._isLoadingMore;
  }

  get error(): PlatformAPIError | null {
    return this._error;
  }

  /**
   * Whether any shown run is running, so the table refreshes by itself.
   */
  get isLive(): boolean {
    return this._runs.some(isRunning);
  }

  get lastUpdated(): Date | null {
    return this._lastUpdated;
  }

  /**
   * The selected runs, in the order they were selected.
   */
  get selection(): IRun[] {
    return [...this._selection.values()];
  }

  isSelected(id: string): boolean {
    return this._selection.has(id);
  }

  get isActive(): boolean {
    return this._isActive;
  }

  /**
   * Whether anyone is looking; live refresh only runs while active.
   */
  set isActive(value: boolean) {
    if (value === this._isActive || this.isDisposed) {
      return;
    }
    this._isActive = value;
    if (value && this.isLive) {
      void this._poll.refresh();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load the projects; pick `preferred` (or keep the current one, or the
   * most recently used) and load its runs.
   */
  async loadProjects(preferred?: string | null): Promise<void> {
    this._projectsLoading = true;
    this._emit();
    const projects: IProject[] = [];
    try {
      let cursor: string | null = null;
      do {
        const page = await this._api.listProjects(cursor);
        projects.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor !== null);
    } catch (reason) {
      this._error = asPlatformError(reason, 'projects');
      this._projectsLoading = false;
      this._emit();
      return;
    }
    this._projects = projects;
    this._projectsLoading = false;
    const names = projects.map(project => project.name);
    const wanted = preferred ?? this.project;
    let next: string | null = null;
    if (wanted && names.includes(wanted)) {
      next = wanted;
    } else if (projects.length > 0) {
      next = [...projects].sort((a, b) =>
        (b.last_run_at ?? b.created_at).localeCompare(
          a.last_run_at ?? a.created_at
        )
      )[0].name;
    }
    if (next !== null && next !== this.project) {
      await this.setProject(next);
    } else {
      if (next === null) {
        this._error = null;
      }
      this._emit();
      if (next !== null) {
        await this.reload();
      }
    }
  }

  /**
   * Show another project's runs, with the columns chosen for it before.
   */
  async setProject(project: string): Promise<void> {
    if (project === this.project && this._columns !== null) {
      return;
    }
    this._query = { ...this._query, project, filters: [], q: '' };
    this._searchText = '';
    this._columns = null;
    this._shownColumns = this._savedColumns[project] ?? [];
    this._selection.clear();
    this._anchor = null;
    this._choicesChanged.emit();
    await Promise.all([this._loadColumns(project), this.reload()]);
  }

  /**
   * Show or hide a `config.<key>` or `summary.<key>` column.
   */
  toggleColumn(column: string): void {
    const shown = this._shownColumns.includes(column)
      ? this._shownColumns.filter(c => c !== column)
      : [...this._shownColumns, column];
    this._setShownColumns(shown);
  }

  /**
   * Type in the search box; the query follows after a short pause.
   */
  setSearchText(text: string): void {
    this._searchText = text;
    this._emit();
    window.clearTimeout(this._searchTimer);
    this._searchTimer = window.setTimeout(() => {
      if (text.trim() !== this._query.q) {
        this._query = { ...this._query, q: text.trim() };
        void this.reload();
      }
    }, SEARCH_DELAY_MS);
  }

  /**
   * Add a filter expression such as `summary.acc>0.9`; the server checks it.
   */
  addFilter(expression: string): void {
    const filter = expression.trim();
    if (!filter || this._query.filters.includes(filter)) {
      return;
    }
    this._query = { ...this._query, filters: [...this._query.filters, filter] };
    void this.reload();
  }

  removeFilter(filter: string): void {
    this._query = {
      ...this._query,
      filters: this._query.filters.filter(f => f !== filter)
    };
    void this.reload();
  }

  /**
   * Sort by a column; the column sorted by already flips its order.
   */
  sortBy(column: string): void {
    let order: 'asc' | 'desc';
    if (column === this._query.sort) {
      order = this._query.order === 'asc' ? 'desc' : 'asc';
    } else {
      // Newest and longest first reads best; names and values ascending.
      order = column === 'created_at' || column === 'duration' ? 'desc' : 'asc';
    }
    this._query = { ...this._query, sort: column, order };
    void this.reload();
  }

  setArchived(archived: IRunQuery['archived']): void {
    if (archived === this._query.archived) {
      return;
    }
    this._query = { ...this._query, archived };
    void this.reload();
  }

  /**
   * Load the first page of the query; the rows on show stay until it arrives.
   */
  async reload(): Promise<void> {
    const project = this._query.project;
    if (!project) {
      return;
    }
    const generation = ++this._generation;
    this._isLoading = true;
    this._emit();
    try {
      const page = await this._api.listRuns(this._query, null, PAGE_SIZE, true);
      if (generation !== this._generation) {
        return;
      }
      this._runs = page.items;
      this._nextCursor = page.next_cursor;
      this._total = page.total ?? null;
      this._error = null;
      this._lastUpdated = new Date();
      this._updateSelected(page.items);
    } catch (reason) {
      if (generation !== this._generation) {
        return;
      }
      this._error = asPlatformError(reason, 'runs');
    } finally {
      if (generation === this._generation) {
        this._isLoading = false;
        this._emit();
      }
    }
  }

  /**
   * Append the next page.
   */
  async loadMore(): Promise<void> {
    if (this._nextCursor === null || this._isLoadingMore || this._isLoading) {
      return;
    }
    const generation = this._generation;
    this._isLoadingMore = true;
    this._emit();
    try {
      const page = await this._api.listRuns(
        this._query,
        this._nextCursor,
        PAGE_SIZE
      );
      if (generation !== this._generation) {
        return;
      }
      const known = new Set(this._runs.map(run => run.id));
      this._runs = [
        ...this._runs,
        ...page.items.filter(run => !known.has(run.id))
      ];
      this._nextCursor = page.next_cursor;
      this._total = page.total ?? this._total;
      this._error = null;
      this._updateSelected(page.items);
    } catch (reason) {
      if (generation === this._generation) {
        this._error = asPlatformError(reason, 'runs');
      }
    } finally {
      this._isLoadingMore = false;
      this._emit();
    }
  }

  /**
   * Reload the projects, the columns and the loaded runs.
   */
  async refresh(): Promise<void> {
    await this.loadProjects();
    if (this.project) {
      await this._loadColumns(this.project);
    }
  }

  /**
   * Select or deselect one run; with `range`, every run from the last one
   * clicked to this one takes the state the last one got.
   */
  select(id: string, options: { range?: boolean } = {}): void {
    const ids = this._runs.map(run => run.id);
    const index = ids.indexOf(id);
    if (index < 0) {
      return;
    }
    const anchor = this._anchor === null ? -1 : ids.indexOf(this._anchor);
    if (options.range && anchor >= 0) {
      const selected = this._selection.has(this._anchor as string);
      const [from, to] = anchor < index ? [anchor, index] : [index, anchor];
      for (const run of this._runs.slice(from, to + 1)) {
        if (selected) {
          this._selection.set(run.id, run);
        } else {
          this._selection.delete(run.id);
        }
      }
    } else {
      if (this._selection.has(id)) {
        this._selection.delete(id);
      } else {
        this._selection.set(id, this._runs[index]);
      }
      this._anchor = id;
    }
    this._emit();
  }

  /**
   * Select every loaded run, or clear the selection when all are selected.
   */
  toggleAll(): void {
    const all =
      this._runs.length > 0 &&
      this._runs.every(run => this._selection.has(run.id));
    if (all) {
      this._selection.clear();
    } else {
      for (const run of this._runs) {
        this._selection.set(run.id, run);
      }
    }
    this._anchor = null;
    this._emit();
  }

  clearSelection(): void {
    this._selection.clear();
    this._anchor = null;
    this._emit();
  }

  /**
   * Take a changed run (renamed, tagged, archived) into the table; a run
   * archived out of (or back out of) the listed kind leaves it.
   */
  updateRun(run: IRun): void {
    const archived = this._query.archived;
    if (
      (archived === 'false' && run.archived) ||
      (archived === 'true' && !run.archived)
    ) {
      this.removeRun(run.id);
      return;
    }
    const index = this._runs.findIndex(r => r.id === run.id);
    if (index >= 0) {
      this._runs = [
        ...this._runs.slice(0, index),
        run,
        ...this._runs.slice(index + 1)
      ];
    }
    this._updateSelected([run]);
    this._emit();
  }

  /**
   * Forget a deleted run.
   */
  removeRun(id: string): void {
    const before = this._runs.length;
    this._runs = this._runs.filter(run => run.id !== id);
    if (this._total !== null && this._runs.length < before) {
      this._total = Math.max(0, this._total - 1);
    }
    this._selection.delete(id);
    this._emit();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearTimeout(this._searchTimer);
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _loadColumns(project: string): Promise<void> {
    try {
      const columns = await this._api.runColumns(project);
      if (project !== this.project) {
        return;
      }
      this._columns = columns;
      const available = new Set([
        ...columns.config.map(key => `config.${key}`),
        ...columns.summary.map(key => `summary.${key}`)
      ]);
      const saved = this._savedColumns[project];
      const shown = saved
        ? saved.filter(column => available.has(column))
        : [
            ...columns.config
              .slice(0, DEFAULT_COLUMNS_PER_GROUP)
              .map(key => `config.${key}`),
            ...columns.summary
              .slice(0, DEFAULT_COLUMNS_PER_GROUP)
              .map(key => `summary.${key}`)
          ];
      this._shownColumns = shown;
      this._emit();
    } catch (reason) {
      if (project === this.project) {
        this._error = asPlatformError(reason, 'runs/columns');
        this._emit();
      }
    }
  }

  private _setShownColumns(columns: string[]): void {
    this._shownColumns = columns;
    if (this.project) {
      this._savedColumns = { ...this._savedColumns, [this.project]: columns };
    }
    this._choicesChanged.emit();
    this._emit();
  }

  /**
   * Fetch again as many runs as are loaded, page by page, and swap them in
   * at once; the poll calls this while a shown run is running.
   */
  private async _refreshLoaded(): Promise<void> {
    if (!this._query.project || this._isLoading || this._isLoadingMore) {
      return;
    }
    const generation = this._generation;
    const wanted = Math.max(this._runs.length, PAGE_SIZE);
    const runs: IRun[] = [];
    let cursor: string | null = null;
    let total = this._total;
    try {
      do {
        // Runs may have started meanwhile: the first page counts again.
        const page = await this._api.listRuns(
          this._query,
          cursor,
          PAGE_SIZE,
          cursor === null
        );
        runs.push(...page.items);
        cursor = page.next_cursor;
        total = page.total ?? total;
      } while (cursor !== null && runs.length < wanted);
    } catch (reason) {
      if (generation === this._generation) {
        this._error = asPlatformError(reason, 'runs');
        this._emit();
      }
      throw reason;
    }
    if (generation !== this._generation || this._isLoadingMore) {
      return;
    }
    const seen = new Set<string>();
    this._runs = runs.filter(run => !seen.has(run.id) && seen.add(run.id));
    this._nextCursor = cursor;
    this._total = total;
    this._error = null;
    this._lastUpdated = new Date();
    this._updateSelected(runs);
    this._emit();
  }

  /**
   * Keep the selection's copies of runs current.
   */
  private _updateSelected(runs: IRun[]): void {
    for (const run of runs) {
      if (this._selection.has(run.id)) {
        this._selection.set(run.id, run);
      }
    }
  }

  private _emit(): void {
    if (!this.isDisposed) {
      this._changed.emit();
    }
  }

  private _anchor: string | null = null;
  private _api: ITrackingAPI;
  private _changed = new Signal<this, void>(this);
  private _choicesChanged = new Signal<this, void>(this);
  private _columns: IRunColumns | null = null;
  private _error: PlatformAPIError | null = null;
  private _generation = 0;
  private _isActive = false;
  private _isDisposed = false;
  private _isLoading = false;
  private _isLoadingMore = false;
  private _lastUpdated: Date | null = null;
  private _nextCursor: string | null = null;
  private _poll: Poll;
  private _projects: IProject[] = [];
  private _projectsLoading = false;
  private _query: IRunQuery = {
    project: '',
    q: '',
    filters: [],
    sort: 'created_at',
    order: 'desc',
    archived: 'false'
  };
  private _runs: IRun[] = [];
  private _savedColumns: Record<string, string[]>;
  private _searchText = '';
  private _searchTimer = 0;
  private _selection = new Map<string, IRun>();
  private _shownColumns: string[] = [];
  private _total: number | null = null;
}

export namespace RunsModel {
  export interface IOptions {
    api: ITrackingAPI;
    /**
     * Columns chosen per project in an earlier session.
     */
    columns?: Record<string, string[]>;
  }
}

function isRunning(run: IRun): boolean {
  return run.status === 'running';
}
