/**
 * The state behind the catalog: the search as typed, the datasets it
 * matches (paged by the server, more on demand) and how many there are.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { IDatasetsAPI } from './api';
import { PagedList } from './pagedList';
import { IDataset } from './tokens';

/**
 * Datasets per request.
 */
const PAGE_SIZE = 50;

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
   * The search the listed datasets match.
   */
  get query(): string {
    return this._query;
  }

  get datasets(): readonly IDataset[] {
    return this._list.items;
  }

  /**
   * How many datasets match the search, once the first page arrived.
   */
  get total(): number | null {
    return this._list.isLoaded ? this._list.total : null;
  }

  get hasMore(): boolean {
    return this._list.isLoaded && this._list.hasMore;
  }

  get isLoaded(): boolean {
    return this._list.isLoaded;
  }

  get isLoading(): boolean {
    return this._list.isLoading;
  }

  get error(): PlatformAPIError | null {
    return this._list.error;
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
        void this._list.loadUntil(1);
      }
    }, SEARCH_DELAY_MS);
  }

  /**
   * Load the first page of the search, again.
   */
  async refresh(): Promise<void> {
    await this._list.reload();
  }

  /**
   * Append the next page.
   */
  async loadMore(): Promise<void> {
    await this._list.loadUntil(this._list.items.length + PAGE_SIZE);
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

  private _makeList(query: string): PagedList<IDataset> {
    const list = new PagedList<IDataset>({
      fetch: (cursor, limit) => this._api.listDatasets(query, cursor),
      pageSize: PAGE_SIZE,
      what: 'datasets'
    });
    list.changed.connect(this._emit, this);
    return list;
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _api: IDatasetsAPI;
  private _changed = new Signal<this, void>(this);
  private _isDisposed = false;
  private _list: PagedList<IDataset>;
  private _query = '';
  private _searchText = '';
  private _searchTimer = 0;
}

export namespace CatalogModel {
  export interface IOptions {
    api: IDatasetsAPI;
  }
}
