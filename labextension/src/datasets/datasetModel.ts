/**
 * The state behind one dataset: its catalog entry, its versions (newest
 * first) and the one chosen, and for that version the file browser with its
 * preview, the diff with another version, and the runs that used it.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { asPlatformError } from '../shared/errors';
import { IDatasetsAPI } from './api';
import { BrowserModel } from './browserModel';
import { DiffModel } from './diffModel';
import { PagedList } from './pagedList';
import { PreviewModel } from './previewModel';
import { IDataset, IDatasetRun, IDatasetVersion } from './tokens';

/**
 * Versions per request; the picker offers the loaded ones.
 */
const VERSIONS_PAGE_SIZE = 50;

/**
 * Runs per request in the lineage list.
 */
const RUNS_PAGE_SIZE = 50;

export type DatasetTab = 'files' | 'history' | 'changes' | 'runs';

export class DatasetModel {
  constructor(options: DatasetModel.IOptions) {
    this._api = options.api;
    this.name = options.name;
    this._wantedVersion = options.version ?? null;
    this.versions = new PagedList<IDatasetVersion>({
      fetch: (cursor, limit) => this._api.listVersions(this.name, cursor),
      pageSize: VERSIONS_PAGE_SIZE,
      what: `datasets/${this.name}/versions`
    });
    this.versions.changed.connect(this._emit, this);
    this.diff = new DiffModel({ api: this._api, dataset: this.name });
  }

  readonly name: string;

  /**
   * The versions, newest first, loaded a page at a time.
   */
  readonly versions: PagedList<IDatasetVersion>;

  /**
   * The comparison of two versions.
   */
  readonly diff: DiffModel;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The catalog entry, once loaded.
   */
  get info(): IDataset | null {
    return this._info;
  }

  get isLoading(): boolean {
    return this._isLoading;
  }

  /**
   * Why the dataset could not be loaded.
   */
  get error(): PlatformAPIError | null {
    return this._error;
  }

  /**
   * The version on show, `null` until the versions arrived (or when the
   * dataset has none).
   */
  get version(): IDatasetVersion | null {
    return this._version;
  }

  /**
   * The file browser of the version on show.
   */
  get browser(): BrowserModel | null {
    return this._browser;
  }

  get preview(): PreviewModel | null {
    return this._preview;
  }

  /**
   * The runs that used the version on show.
   */
  get runs(): PagedList<IDatasetRun> | null {
    return this._runs;
  }

  get tab(): DatasetTab {
    return this._tab;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load the catalog entry and the versions; show the version asked for
   * when the dataset was opened, else the latest.
   */
  async start(): Promise<void> {
    this._isLoading = true;
    this._emit();
    try {
      const [info] = await Promise.all([
        this._api.getDataset(this.name),
        this.versions.loadUntil(1)
      ]);
      this._info = info;
      this._error = this.versions.error;
    } catch (reason) {
      this._error = asPlatformError(reason, `datasets/${this.name}`);
    } finally {
      this._isLoading = false;
    }
    const versions = this.versions.items;
    const wanted =
      versions.find(v => v.ref === this._wantedVersion) ?? versions[0];
    if (wanted && !this._isDisposed) {
      this._showVersion(wanted);
    }
    this._emit();
  }

  /**
   * Show another version (by its ref); the browser stays in its folder.
   */
  setVersion(ref: string): void {
    const version = this.versions.items.find(v => v.ref === ref);
    if (!version || version.ref === this._version?.ref) {
      return;
    }
    this._showVersion(version);
    this._emit();
  }

  setTab(tab: DatasetTab): void {
    if (tab === this._tab) {
      return;
    }
    this._tab = tab;
    if (tab === 'changes' && this.diff.from === null) {
      this._compareWithPrevious();
    }
    this._emit();
  }

  /**
   * Show the changes from one version to another.
   */
  compare(from: string, to: string): void {
    void this.diff.compare(from, to);
    this._tab = 'changes';
    this._emit();
  }

  /**
   * The version before `ref` in history, `null` for the first (or one not
   * loaded).
   */
  previousOf(ref: string): IDatasetVersion | null {
    const versions = this.versions.items;
    const index = versions.findIndex(v => v.ref === ref);
    return index >= 0 && index + 1 < versions.length
      ? versions[index + 1]
      : null;
  }

  /**
   * Load the next page of versions.
   */
  async loadMoreVersions(): Promise<void> {
    await this.versions.loadUntil(
      this.versions.items.length + VERSIONS_PAGE_SIZE
    );
  }

  async loadMoreRuns(): Promise<void> {
    const runs = this._runs;
    if (runs) {
      await runs.loadUntil(runs.items.length + RUNS_PAGE_SIZE);
    }
  }

  /**
   * Load the entry, the versions and what is on show again; a version that
   * appeared meanwhile is offered, the one on show stays.
   */
  async refresh(): Promise<void> {
    const current = this._version?.ref ?? null;
    try {
      this._info = await this._api.getDataset(this.name);
      this._error = null;
    } catch (reason) {
      this._error = asPlatformError(reason, `datasets/${this.name}`);
    }
    await this.versions.reload();
    const versions = this.versions.items;
    const version =
      versions.find(v => v.ref === current) ?? versions[0] ?? null;
    if (version && version.ref !== current) {
      this._showVersion(version);
    } else {
      this._version = version;
      await Promise.all([
        this._browser?.refresh(),
        this._runs?.reload(),
        this._tab === 'changes' ? this.diff.refresh() : undefined
      ]);
    }
    this._emit();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.versions.dispose();
    this.diff.dispose();
    this._preview?.dispose();
    this._browser?.dispose();
    this._runs?.dispose();
    Signal.clearData(this);
  }

  private _showVersion(version: IDatasetVersion): void {
    this._version = version;
    if (this._browser === null) {
      this._browser = new BrowserModel({
        api: this._api,
        dataset: this.name,
        version: version.ref
      });
      this._preview = new PreviewModel({
        api: this._api,
        browser: this._browser
      });
      void this._browser.start();
    } else {
      void this._browser.setVersion(version.ref);
    }
    this._runs?.dispose();
    const runs = new PagedList<IDatasetRun>({
      fetch: (cursor, limit) =>
        this._api.runsUsing(this.name, version.ref, cursor),
      pageSize: RUNS_PAGE_SIZE,
      what: `datasets/${this.name}/versions/${version.ref}/runs`
    });
    runs.changed.connect(this._emit, this);
    this._runs = runs;
    void runs.loadUntil(1);
    if (this._tab === 'changes') {
      this._compareWithPrevious();
    }
  }

  /**
   * The diff a version opens with: what it changed from the one before.
   */
  private _compareWithPrevious(): void {
    const version = this._version;
    if (version === null) {
      return;
    }
    const previous = this.previousOf(version.ref);
    if (previous !== null) {
      void this.diff.compare(previous.ref, version.ref);
    }
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _api: IDatasetsAPI;
  private _browser: BrowserModel | null = null;
  private _changed = new Signal<this, void>(this);
  private _error: PlatformAPIError | null = null;
  private _info: IDataset | null = null;
  private _isDisposed = false;
  private _isLoading = false;
  private _preview: PreviewModel | null = null;
  private _runs: PagedList<IDatasetRun> | null = null;
  private _tab: DatasetTab = 'files';
  private _version: IDatasetVersion | null = null;
  private _wantedVersion: string | null;
}

export namespace DatasetModel {
  export interface IOptions {
    api: IDatasetsAPI;
    name: string;
    /**
     * The version to show first (a ref), the latest by default.
     */
    version?: string | null;
  }
}
