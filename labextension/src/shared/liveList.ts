/**
 * A list the server pages with cursors that stays current while someone
 * looks: the first page on `reload`, more on `loadMore`, and every loaded
 * page fetched again on a timer — often while an item is live (a running
 * job or sweep), seldom otherwise, so that items started elsewhere (from a
 * kernel, another tab) show up too.
 */
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { IPage } from '../tokens';
import { asPlatformError } from './errors';

export class LiveList<T> {
  constructor(options: LiveList.IOptions<T>) {
    this._fetch = options.fetch;
    this._key = options.key;
    this._isLiveItem = options.isLive;
    this._pageSize = options.pageSize ?? 50;
    this._what = options.what;
    this._liveInterval = options.liveInterval ?? 2000;
    this._idleInterval = options.idleInterval ?? 10000;
    this._poll = new Poll({
      auto: false,
      factory: () => this._refreshLoaded(),
      frequency: this._frequency(),
      name: `jupyter-dl:${options.what}`,
      standby: () => !this._isActive || 'when-hidden'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get items(): readonly T[] {
    return this._items;
  }

  get hasMore(): boolean {
    return this._cursor !== null;
  }

  /**
   * Whether the first page arrived once.
   */
  get isLoaded(): boolean {
    return this._lastUpdated !== null;
  }

  /**
   * Whether a new first page is loading (the items on show are older).
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
   * Whether an item on show is live, so the list refreshes often.
   */
  get isLive(): boolean {
    return this._items.some(this._isLiveItem);
  }

  get lastUpdated(): Date | null {
    return this._lastUpdated;
  }

  get isActive(): boolean {
    return this._isActive;
  }

  /**
   * Whether anyone is looking: the list refreshes only while active, and
   * at once when it becomes active.
   */
  set isActive(value: boolean) {
    if (value === this._isActive || this._isDisposed) {
      return;
    }
    this._isActive = value;
    // Starting runs a refresh at once; a list not loaded yet skips it.
    void (value ? this._poll.start() : this._poll.stop());
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load the first page; the items on show stay until it arrives.
   */
  async reload(): Promise<void> {
    const generation = ++this._generation;
    this._isLoading = true;
    this._emit();
    try {
      const page = await this._fetch(null, this._pageSize);
      if (generation !== this._generation) {
        return;
      }
      this._items = page.items;
      this._cursor = page.next_cursor;
      this._error = null;
      this._lastUpdated = new Date();
    } catch (reason) {
      if (generation === this._generation) {
        this._error = asPlatformError(reason, this._what);
      }
    } finally {
      if (generation === this._generation) {
        this._isLoading = false;
        this._adjustPoll();
        this._emit();
      }
    }
  }

  /**
   * Append the next page.
   */
  async loadMore(): Promise<void> {
    if (this._cursor === null || this._isLoadingMore || this._isLoading) {
      return;
    }
    const generation = this._generation;
    this._isLoadingMore = true;
    this._emit();
    try {
      const page = await this._fetch(this._cursor, this._pageSize);
      if (generation !== this._generation) {
        return;
      }
      const known = new Set(this._items.map(this._key));
      this._items = [
        ...this._items,
        ...page.items.filter(item => !known.has(this._key(item)))
      ];
      this._cursor = page.next_cursor;
      this._error = null;
    } catch (reason) {
      if (generation === this._generation) {
        this._error = asPlatformError(reason, this._what);
      }
    } finally {
      this._isLoadingMore = false;
      this._adjustPoll();
      this._emit();
    }
  }

  /**
   * Fetch again as many items as are loaded, now.
   */
  async refresh(): Promise<void> {
    if (!this.isLoaded) {
      return this.reload();
    }
    await this._poll.refresh();
    await this._poll.tick.catch(() => undefined);
  }

  /**
   * Take a changed item (one the panel fetched itself) into the list.
   */
  update(item: T): void {
    const key = this._key(item);
    const index = this._items.findIndex(other => this._key(other) === key);
    if (index < 0) {
      return;
    }
    this._items = [
      ...this._items.slice(0, index),
      item,
      ...this._items.slice(index + 1)
    ];
    this._adjustPoll();
    this._emit();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._generation++;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * Fetch the loaded pages again, one after another, and swap them in at once.
   */
  private async _refreshLoaded(): Promise<void> {
    if (!this.isLoaded || this._isLoading || this._isLoadingMore) {
      return;
    }
    const generation = this._generation;
    const wanted = Math.max(this._items.length, this._pageSize);
    const items: T[] = [];
    let cursor: string | null = null;
    try {
      do {
        const page: IPage<T> = await this._fetch(cursor, this._pageSize);
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor !== null && items.length < wanted);
    } catch (reason) {
      if (generation === this._generation) {
        this._error = asPlatformError(reason, this._what);
        this._emit();
      }
      throw reason;
    }
    if (generation !== this._generation || this._isLoadingMore) {
      return;
    }
    const seen = new Set<string>();
    this._items = items.filter(item => {
      const key = this._key(item);
      return !seen.has(key) && seen.add(key) !== undefined;
    });
    this._cursor = cursor;
    this._error = null;
    this._lastUpdated = new Date();
    this._adjustPoll();
    this._emit();
  }

  private _frequency(): IPoll.Frequency {
    return {
      interval: this.isLive ? this._liveInterval : this._idleInterval,
      backoff: true,
      max: 60 * 1000
    };
  }

  /**
   * Refresh often while an item is live, seldom otherwise.
   */
  private _adjustPoll(): void {
    const frequency = this._frequency();
    if (frequency.interval !== this._poll.frequency.interval) {
      this._poll.frequency = frequency;
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
  private _fetch: LiveList.Fetch<T>;
  private _generation = 0;
  private _idleInterval: number;
  private _isActive = false;
  private _isDisposed = false;
  private _isLiveItem: (item: T) => boolean;
  private _isLoading = false;
  private _isLoadingMore = false;
  private _items: T[] = [];
  private _key: (item: T) => string;
  private _lastUpdated: Date | null = null;
  private _liveInterval: number;
  private _pageSize: number;
  private _poll: Poll;
  private _what: string;
}

export namespace LiveList {
  export type Fetch<T> = (
    cursor: string | null,
    limit: number
  ) => Promise<IPage<T>>;

  export interface IOptions<T> {
    fetch: Fetch<T>;
    /**
     * An item's identity, e.g. its id.
     */
    key: (item: T) => string;
    /**
     * Whether an item may still change by itself (running).
     */
    isLive: (item: T) => boolean;
    /**
     * Items per request.
     */
    pageSize?: number;
    /**
     * Milliseconds between refreshes while an item is live.
     */
    liveInterval?: number;
    /**
     * Milliseconds between refreshes otherwise.
     */
    idleInterval?: number;
    /**
     * What is listed, named in errors, e.g. `jobs`.
     */
    what: string;
  }
}
