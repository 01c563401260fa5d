/**
 * The state behind one model's page: the model with its aliases, its
 * versions (newest first, more on demand), the version chosen for its
 * details, the history of its aliases, and the edits (description, set or
 * remove an alias, delete a version). Aliases are read from the model, so
 * moving one changes the versions table at once.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { PagedList } from '../datasets/pagedList';
import { PlatformAPIError } from '../handler';
import { asPlatformError } from '../shared/errors';
import { IRegistryAPI } from './api';
import { IAliasEvent, IModel, IModelAlias, IModelVersion } from './tokens';

/**
 * Versions and alias moves per request.
 */
const PAGE_SIZE = 50;

export class ModelModel {
  constructor(options: ModelModel.IOptions) {
    this._api = options.api;
    this.name = options.name;
    this._selected = options.version ?? null;
    this.versions = this._makeVersions();
    this.history = this._makeHistory();
  }

  readonly name: string;

  /**
   * The versions, newest first.
   */
  versions: PagedList<IModelVersion>;

  /**
   * Every move of the model's aliases, newest first; loaded when first shown.
   */
  history: PagedList<IAliasEvent>;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with the model after it changed here (description, aliases).
   */
  get modelUpdated(): ISignal<this, IModel> {
    return this._modelUpdated;
  }

  get model(): IModel | null {
    return this._model;
  }

  get error(): PlatformAPIError | null {
    return this._error;
  }

  get isLoading(): boolean {
    return this._isLoading;
  }

  get lastUpdated(): Date | null {
    return this._lastUpdated;
  }

  /**
   * Whether an edit is being saved.
   */
  get isSaving(): boolean {
    return this._isSaving;
  }

  /**
   * The error of the last edit, with what was tried; `null` once one succeeds.
   */
  get saveError(): ModelModel.IEditError | null {
    return this._saveError;
  }

  /**
   * The aliases pointing at `version`.
   */
  aliasesOf(version: number): IModelAlias[] {
    return (this._model?.aliases ?? []).filter(a => a.version === version);
  }

  /**
   * The version whose details are on show: the one chosen, else the newest.
   */
  get selected(): IModelVersion | null {
    const items = this.versions.items;
    return (
      items.find(v => v.version === this._selected) ??
      (this._selected === null ? (items[0] ?? null) : null)
    );
  }

  /**
   * The number of the version chosen, even before it is loaded.
   */
  get selectedNumber(): number | null {
    return this._selected ?? this.versions.items[0]?.version ?? null;
  }

  /**
   * Show a version's details; one not listed yet (published since) has the
   * model read again.
   */
  select(version: number): void {
    if (version === this._selected) {
      return;
    }
    this._selected = version;
    this._emit();
    void this._loadUntilSelected().then(found => {
      if (!found && !this._isLoading && !this._isDisposed) {
        void this.refresh();
      }
    });
  }

  /**
   * Load the model and its versions (again).
   */
  async refresh(): Promise<void> {
    this._isLoading = true;
    this._emit();
    const history = this.history.isLoaded;
    try {
      const model = await this._api.getModel(this.name);
      if (this._isDisposed) {
        return;
      }
      this._model = model;
      this._error = null;
      await Promise.all([
        this._reloadVersions(),
        history ? this._reloadHistory() : null
      ]);
      await this._loadUntilSelected();
      this._lastUpdated = new Date();
    } catch (reason) {
      this._error = asPlatformError(reason, `models/${this.name}`);
    } finally {
      this._isLoading = false;
      this._emit();
    }
  }

  async loadMoreVersions(): Promise<void> {
    await this.versions.loadUntil(this.versions.items.length + PAGE_SIZE);
  }

  async loadMoreHistory(): Promise<void> {
    await this.history.loadUntil(this.history.items.length + PAGE_SIZE);
  }

  setDescription(description: string): Promise<boolean> {
    if (description === this._model?.description) {
      return Promise.resolve(true);
    }
    return this._edit({ action: 'description', subject: this.name }, () =>
      this._api.updateModel(this.name, { description })
    );
  }

  /**
   * Point `alias` at `version` (moving it from another version).
   */
  setAlias(alias: string, version: number): Promise<boolean> {
    return this._edit({ action: 'setAlias', subject: alias }, () =>
      this._api.setAlias(this.name, alias, version)
    );
  }

  removeAlias(alias: string): Promise<boolean> {
    return this._edit({ action: 'removeAlias', subject: alias }, () =>
      this._api.deleteAlias(this.name, alias)
    );
  }

  /**
   * Delete a version and its files; the server refuses (and says why)
   * while an alias or a deployment uses it.
   */
  async deleteVersion(version: number): Promise<boolean> {
    this._isSaving = true;
    this._emit();
    try {
      await this._api.deleteVersion(this.name, version);
      this._saveError = null;
      if (this._selected === version) {
        this._selected = null;
      }
      const model = await this._api.getModel(this.name);
      this._model = model;
      this._modelUpdated.emit(model);
      await this._reloadVersions();
      return true;
    } catch (reason) {
      this._saveError = {
        action: 'deleteVersion',
        subject: String(version),
        error: asPlatformError(
          reason,
          `models/${this.name}/versions/${version}`
        )
      };
      return false;
    } finally {
      this._isSaving = false;
      this._emit();
    }
  }

  /**
   * Forget the error of the last edit.
   */
  dismissError(): void {
    this._saveError = null;
    this._emit();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.versions.dispose();
    this.history.dispose();
    Signal.clearData(this);
  }

  /**
   * Run an edit that answers with the model; `false` when it failed.
   */
  private async _edit(
    what: Omit<ModelModel.IEditError, 'error'>,
    edit: () => Promise<IModel>
  ): Promise<boolean> {
    this._isSaving = true;
    this._emit();
    try {
      const model = await edit();
      this._model = model;
      this._saveError = null;
      this._modelUpdated.emit(model);
      if (this.history.isLoaded) {
        void this._reloadHistory();
      }
      return true;
    } catch (reason) {
      this._saveError = {
        ...what,
        error: asPlatformError(reason, `models/${this.name}`)
      };
      return false;
    } finally {
      this._isSaving = false;
      this._emit();
    }
  }

  /**
   * Load versions until the chosen one is there (or the list ends); whether
   * it is there.
   */
  private async _loadUntilSelected(): Promise<boolean> {
    const wanted = this._selected;
    const found = (): boolean =>
      wanted === null || this.versions.items.some(v => v.version === wanted);
    while (
      !found() &&
      this.versions.hasMore &&
      !this.versions.error &&
      !this._isDisposed
    ) {
      await this.loadMoreVersions();
    }
    return found();
  }

  private _makeVersions(): PagedList<IModelVersion> {
    const list = new PagedList<IModelVersion>({
      fetch: (cursor, limit) =>
        this._api.listVersions(this.name, cursor, limit),
      pageSize: PAGE_SIZE,
      what: `models/${this.name}/versions`
    });
    list.changed.connect(this._emit, this);
    return list;
  }

  private _makeHistory(): PagedList<IAliasEvent> {
    const list = new PagedList<IAliasEvent>({
      fetch: (cursor, limit) => this._api.history(this.name, cursor, limit),
      pageSize: PAGE_SIZE,
      what: `models/${this.name}/history`
    });
    list.changed.connect(this._emit, this);
    return list;
  }

  /**
   * A fresh list of versions, as many as were loaded; the old rows stay on
   * show until the new ones arrived.
   */
  private async _reloadVersions(): Promise<void> {
    const list = this._makeVersions();
    await list.loadUntil(Math.max(1, this.versions.items.length));
    if (this._isDisposed) {
      list.dispose();
      return;
    }
    this.versions.dispose();
    this.versions = list;
    this._emit();
  }

  private async _reloadHistory(): Promise<void> {
    const list = this._makeHistory();
    await list.loadUntil(Math.max(1, this.history.items.length));
    if (this._isDisposed) {
      list.dispose();
      return;
    }
    this.history.dispose();
    this.history = list;
    this._emit();
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _api: IRegistryAPI;
  private _changed = new Signal<this, void>(this);
  private _error: PlatformAPIError | null = null;
  private _isDisposed = false;
  private _isLoading = false;
  private _isSaving = false;
  private _lastUpdated: Date | null = null;
  private _model: IModel | null = null;
  private _modelUpdated = new Signal<this, IModel>(this);
  private _saveError: ModelModel.IEditError | null = null;
  private _selected: number | null;
}

export namespace ModelModel {
  export interface IOptions {
    api: IRegistryAPI;
    name: string;
    /**
     * The version to show first; the newest by default.
     */
    version?: number | null;
  }

  /**
   * An edit that failed: what it was, on what, and why.
   */
  export interface IEditError {
    action: 'description' | 'setAlias' | 'removeAlias' | 'deleteVersion';
    /**
     * The model's name, the alias, or the version number.
     */
    subject: string;
    error: PlatformAPIError;
  }
}
