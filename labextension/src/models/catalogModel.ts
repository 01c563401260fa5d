/**
 * The state behind the list of models: the search as typed and the models
 * it matches, paged by the server and kept current while the panel is on
 * show, so that a model published from a notebook shows up by itself.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { LiveList } from '../shared/liveList';
import { IRegistryAPI } from './api';
import { IModel } from './tokens';

/**
 * How long typing in the search box waits before asking the server.
 */
const SEARCH_DELAY_MS = 300;

export class CatalogModel {
  constructor(options: CatalogModel.IOptions) {
    this._api = options.api;
    this._list = this._makeList('');
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The search box as typed, ahead of the query while the search waits.
   */
  get searchText(): string {
    return this._searchText;
  }

  /**
   * The search the listed models match.
   */
  get query(): string {
    return this._query;
  }

  get models(): readonly IModel[] {
    return this._list.items;
  }

  get hasMore(): boolean {
    return this._list.hasMore;
  }

  get isLoaded(): boolean {
    return this._list.isLoaded;
  }

  get isLoading(): boolean {
    return this._list.isLoading || this._list.isLoadingMore;
  }

  get error(): PlatformAPIError | null {
    return this._list.error;
  }

  get isActive(): boolean {
    return this._isActive;
  }

  set isActive(value: boolean) {
    this._isActive = value;
    this._list.isActive = value;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Type in the search box; the query follows after a short pause.
   */
  setSearchText(text: string): void {
    this._searchText = text;
    this._emit();
    window.clearTimeout(this._searchTimer);
    this._searchTimer = window.setTimeout(() => {
      const query = text.trim();
      if (query !== this._query) {
        this._query = query;
        this._list.dispose();
        this._list = this._makeList(query);
        this._list.isActive = this._isActive;
        void this._list.reload();
      }
    }, SEARCH_DELAY_MS);
  }

  /**
   * Fetch the listed models again.
   */
  async refresh(): Promise<void> {
    await this._list.refresh();
  }

  /**
   * Append the next page.
   */
  async loadMore(): Promise<void> {
    await this._list.loadMore();
  }

  /**
   * Take a model the panel fetched itself (after an edit) into the list.
   */
  update(model: IModel): void {
    this._list.update(model);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearTimeout(this._searchTimer);
    this._list.dispose();
    Signal.clearData(this);
  }

  private _makeList(query: string): LiveList<IModel> {
    const list = new LiveList<IModel>({
      fetch: (cursor, limit) => this._api.listModels(query, cursor, limit),
      key: model => model.name,
      isLive: () => false,
      what: 'models'
    });
    list.changed.connect(this._emit, this);
    return list;
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _api: IRegistryAPI;
  private _changed = new Signal<this, void>(this);
  private _isActive = false;
  private _isDisposed = false;
  private _list: LiveList<IModel>;
  private _query = '';
  private _searchText = '';
  private _searchTimer = 0;
}

export namespace CatalogModel {
  export interface IOptions {
    api: IRegistryAPI;
  }
}
