/**
 * The state behind the diff view: two versions, which kind of change is
 * listed, how many files changed each way, and the changed files (paged by
 * the server, loaded as the list scrolls).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IDatasetsAPI } from './api';
import { PagedList } from './pagedList';
import { CHANGE_KINDS, ChangeKind, IDatasetChange } from './tokens';

/**
 * Changed files per request, and while catching up with a list scrolled
 * far ahead (the server's limit).
 */
const PAGE_SIZE = 200;
const MAX_PAGE_SIZE = 1000;

export class DiffModel {
  constructor(options: DiffModel.IOptions) {
    this._api = options.api;
    this.dataset = options.dataset;
  }

  readonly dataset: string;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The version compared from, `null` before a comparison was chosen.
   */
  get from(): string | null {
    return this._from;
  }

  /**
   * The version compared to.
   */
  get to(): string | null {
    return this._to;
  }

  /**
   * The kind of change listed, `null` for all.
   */
  get change(): ChangeKind | null {
    return this._change;
  }

  /**
   * How many files changed each way, once the first page arrived.
   */
  get summary(): Record<ChangeKind, number> | null {
    return this._summary;
  }

  /**
   * The changed files of the kind listed, loaded as far as the list scrolled.
   */
  get changes(): PagedList<IDatasetChange> | null {
    return this._list;
  }

  /**
   * The row the keyboard is on.
   */
  get activeIndex(): number {
    return this._activeIndex;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Compare two versions (tags, commit ids or `latest`).
   */
  async compare(from: string, to: string): Promise<void> {
    if (from === this._from && to === this._to && this._list) {
      return;
    }
    this._from = from;
    this._to = to;
    this._summary = null;
    await this._reload();
  }

  /**
   * List one kind of change, or (`null`) all of them.
   */
  async setChange(change: ChangeKind | null): Promise<void> {
    if (change === this._change) {
      return;
    }
    this._change = change;
    await this._reload();
  }

  setActive(index: number): void {
    this._activeIndex = index;
    this._emit();
  }

  async refresh(): Promise<void> {
    await this._reload();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._list?.dispose();
    Signal.clearData(this);
  }

  private async _reload(): Promise<void> {
    const from = this._from;
    const to = this._to;
    if (from === null || to === null) {
      return;
    }
    const change = this._change;
    this._list?.dispose();
    this._activeIndex = -1;
    const list = new PagedList<IDatasetChange>({
      fetch: async (cursor, limit) => {
        const page = await this._api.diff(
          this.dataset,
          from,
          to,
          change,
          cursor,
          limit
        );
        if (this._list === list) {
          this._summary = page.summary;
        }
        const total = change
          ? page.summary[change]
          : CHANGE_KINDS.reduce((sum, kind) => sum + page.summary[kind], 0);
        return { items: page.items, next_cursor: page.next_cursor, total };
      },
      pageSize: PAGE_SIZE,
      maxPageSize: MAX_PAGE_SIZE,
      what: `datasets/${this.dataset}/diff`
    });
    list.changed.connect(this._emit, this);
    this._list = list;
    this._emit();
    await list.loadUntil(1);
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _activeIndex = -1;
  private _api: IDatasetsAPI;
  private _change: ChangeKind | null = null;
  private _changed = new Signal<this, void>(this);
  private _from: string | null = null;
  private _isDisposed = false;
  private _list: PagedList<IDatasetChange> | null = null;
  private _summary: Record<ChangeKind, number> | null = null;
  private _to: string | null = null;
}

export namespace DiffModel {
  export interface IOptions {
    api: IDatasetsAPI;
    dataset: string;
  }
}
