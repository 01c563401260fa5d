/**
 * A long list the server pages with cursors (a folder of 100k files, the
 * changes between two versions), loaded front to back as far as someone
 * looks. Virtualised views ask for the rows they show with `loadUntil`;
 * pages are fetched one after another, never twice.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { asPlatformError } from '../shared/errors';

/**
 * A page as the datasets routes return it.
 */
export interface IPageOf<T> {
  items: T[];
  next_cursor: string | null;
  total?: number | null;
}

export class PagedList<T> {
  constructor(options: PagedList.IOptions<T>) {
    this._fetch = options.fetch;
    this._pageSize = options.pageSize;
    this._maxPageSize = Math.max(options.pageSize, options.maxPageSize ?? 0);
    this._what = options.what;
  }

  /**
   * Emitted when pages arrive, a request starts or ends, or it fails.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The rows loaded so far, in the server's order.
   */
  get items(): readonly T[] {
    return this._items;
  }

  /**
   * How many rows the list holds in all, when the server counts them.
   */
  get total(): number | null {
    return this._total;
  }

  /**
   * Rows a view should make room for: the total when known, else the
   * loaded ones.
   */
  get size(): number {
    return this._total ?? this._items.length;
  }

  get hasMore(): boolean {
    return !this._loaded || this._cursor !== null;
  }

  /**
   * Whether the first page arrived.
   */
  get isLoaded(): boolean {
    return this._loaded;
  }

  get isLoading(): boolean {
    return this._isLoading;
  }

  get error(): PlatformAPIError | null {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load pages until at least `count` rows are loaded or the list ends;
   * resolves once they are (or a page failed).
   */
  async loadUntil(count: number): Promise<void> {
    this._wanted = Math.max(this._wanted, count);
    if (this._running === null) {
      const running: Promise<void> = this._loadPages().finally(() => {
        if (this._running === running) {
          this._running = null;
        }
      });
      this._running = running;
    }
    return this._running;
  }

  /**
   * Forget what was loaded and load the first page again.
   */
  async reload(): Promise<void> {
    this._generation++;
    this._running = null;
    this._items = [];
    this._cursor = null;
    this._loaded = false;
    this._total = null;
    this._wanted = 0;
    this._error = null;
    this._emit();
    await this.loadUntil(1);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._generation++;
    Signal.clearData(this);
  }

  private async _loadPages(): Promise<void> {
    const generation = this._generation;
    while (
      generation === this._generation &&
      this.hasMore &&
      this._items.length < this._wanted
    ) {
      this._isLoading = true;
      this._emit();
      // A view far ahead of the loaded rows (a scrollbar dragged to the
      // end) is caught up in bigger pages.
      const limit = Math.min(
        this._maxPageSize,
        Math.max(this._pageSize, this._wanted - this._items.length)
      );
      let page: IPageOf<T>;
      try {
        page = await this._fetch(this._cursor, limit);
      } catch (reason) {
        if (generation === this._generation) {
          this._error = asPlatformError(reason, this._what);
          this._isLoading = false;
          // Asking again (scrolling, a retry) starts over from this page.
          this._wanted = this._items.length;
          this._emit();
        }
        return;
      }
      if (generation !== this._generation) {
        return;
      }
      this._items = [...this._items, ...page.items];
      this._cursor = page.next_cursor;
      if (typeof page.total === 'number') {
        this._total = page.total;
      }
      if (this._cursor === null) {
        // The end is known now, whatever was counted before.
        this._total = this._items.length;
      }
      this._loaded = true;
      this._error = null;
      this._isLoading = false;
      this._emit();
    }
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _changed = new Signal<this, void>(this);
  private _cursor: string | null = null;
  private _error: PlatformAPIError | null = null;
  private _fetch: PagedList.Fetch<T>;
  private _generation = 0;
  private _isDisposed = false;
  private _isLoading = false;
  private _items: T[] = [];
  private _loaded = false;
  private _maxPageSize: number;
  private _pageSize: number;
  private _running: Promise<void> | null = null;
  private _total: number | null = null;
  private _wanted = 0;
  private _what: string;
}

export namespace PagedList {
  export type Fetch<T> = (
    cursor: string | null,
    limit: number
  ) => Promise<IPageOf<T>>;

  export interface IOptions<T> {
    fetch: Fetch<T>;
    /**
     * Rows per request.
     */
    pageSize: number;
    /**
     * Rows per request while far behind what a view asks for.
     */
    maxPageSize?: number;
    /**
     * What is listed, named in errors, e.g. `datasets/cats/versions/v2/tree`.
     */
    what: string;
  }
}
