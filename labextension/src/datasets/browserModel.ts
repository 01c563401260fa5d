/**
 * The state behind the file browser of one version: the folder on show,
 * its sort order, its entries (loaded page by page as the list scrolls),
 * and the row the keyboard and the preview follow.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IDatasetsAPI } from './api';
import { PagedList } from './pagedList';
import { IDatasetEntry, SortKey, SortOrder } from './tokens';

/**
 * Entries per request: a screenful many times over; up to the server's
 * limit while catching up with a list scrolled far ahead.
 */
const FOLDER_PAGE_SIZE = 200;
const FOLDER_MAX_PAGE_SIZE = 1000;

/**
 * What the server previews as images, by extension (as `previews.py`).
 */
const IMAGE_EXTENSIONS = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'bmp',
  'webp',
  'tif',
  'tiff',
  'ico'
]);

/**
 * Whether the server previews (and makes thumbnails of) a file as an image.
 */
export function isImage(entry: IDatasetEntry): boolean {
  if (entry.type !== 'file') {
    return false;
  }
  const dot = entry.name.lastIndexOf('.');
  return (
    dot > 0 && IMAGE_EXTENSIONS.has(entry.name.slice(dot + 1).toLowerCase())
  );
}

/**
 * Whether most files among `entries` are images, so the folder reads best
 * as a grid of thumbnails.
 */
export function isMostlyImages(entries: readonly IDatasetEntry[]): boolean {
  let files = 0;
  let images = 0;
  for (const entry of entries) {
    if (entry.type === 'file') {
      files++;
      if (isImage(entry)) {
        images++;
      }
    }
  }
  return images > 0 && images * 2 > files;
}

/**
 * The parent folder of a path inside a dataset, `''` for the top.
 */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/**
 * A folder of a version, listed by the server in pages.
 */
export function folderListing(
  api: IDatasetsAPI,
  dataset: string,
  version: string,
  path: string,
  sort: SortKey = 'name',
  order: SortOrder = 'asc'
): PagedList<IDatasetEntry> {
  return new PagedList<IDatasetEntry>({
    fetch: (cursor, limit) =>
      api.tree(dataset, version, path, sort, order, cursor, limit),
    pageSize: FOLDER_PAGE_SIZE,
    maxPageSize: FOLDER_MAX_PAGE_SIZE,
    what: `datasets/${dataset}/versions/${version}/tree`
  });
}

export class BrowserModel {
  constructor(options: BrowserModel.IOptions) {
    this._api = options.api;
    this.dataset = options.dataset;
    this._version = options.version;
    this._listing = this._makeListing();
  }

  readonly dataset: string;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted when the selected entry, the folder or the version changes:
   * what the preview shows.
   */
  get selectionChanged(): ISignal<this, void> {
    return this._selectionChanged;
  }

  get version(): string {
    return this._version;
  }

  /**
   * The folder on show, `''` for the top of the dataset.
   */
  get path(): string {
    return this._path;
  }

  get sort(): SortKey {
    return this._sort;
  }

  get order(): SortOrder {
    return this._order;
  }

  /**
   * The entries of the folder on show, loaded as far as the list scrolled.
   */
  get listing(): PagedList<IDatasetEntry> {
    return this._listing;
  }

  /**
   * The row the keyboard is on, `-1` before any.
   */
  get activeIndex(): number {
    return this._activeIndex;
  }

  /**
   * The selected entry; `null` means the folder itself.
   */
  get selected(): IDatasetEntry | null {
    return this._selected;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load the folder on show.
   */
  async start(): Promise<void> {
    await this._listing.loadUntil(1);
  }

  /**
   * Browse another version at the same folder, with the same file selected
   * where it exists there; the top folder where the folder does not.
   */
  async setVersion(version: string): Promise<void> {
    if (version === this._version) {
      return;
    }
    this._version = version;
    const keep = this._selected?.path ?? null;
    this._replaceListing();
    this._selected = null;
    this._activeIndex = -1;
    this._emit();
    if (keep === null) {
      this._selectionChanged.emit();
    }
    await this._listing.loadUntil(1);
    const listing = this._listing;
    // The folder is not in that version (404), or is a file there (400).
    const status = listing.error?.status;
    if ((status === 404 || status === 400) && this._path !== '') {
      await this.open('');
      return;
    }
    const index = keep ? listing.items.findIndex(e => e.path === keep) : -1;
    if (index >= 0) {
      this.select(index);
    } else if (keep !== null) {
      this._selectionChanged.emit();
    }
  }

  /**
   * Show a folder (`''` for the top).
   */
  async open(path: string): Promise<void> {
    const previous = this._path;
    this._path = path;
    this._replaceListing();
    this._selected = null;
    this._activeIndex = -1;
    this._emit();
    this._selectionChanged.emit();
    await this._listing.loadUntil(1);
    // Coming back up, the keyboard starts on the folder one came from.
    const inside = path === '' ? '' : `${path}/`;
    if (
      this._path === path &&
      previous.startsWith(inside) &&
      previous !== path
    ) {
      const child = inside + previous.slice(inside.length).split('/')[0];
      const index = this._listing.items.findIndex(e => e.path === child);
      if (index >= 0) {
        this._activeIndex = index;
        this._emit();
      }
    }
  }

  /**
   * Show the parent folder.
   */
  async up(): Promise<void> {
    if (this._path !== '') {
      await this.open(parentOf(this._path));
    }
  }

  /**
   * Sort by name or size; the key sorted by already flips its order.
   */
  async sortBy(sort: SortKey): Promise<void> {
    if (sort === this._sort) {
      this._order = this._order === 'asc' ? 'desc' : 'asc';
    } else {
      this._sort = sort;
      // Names read A to Z; sizes biggest first.
      this._order = sort === 'size' ? 'desc' : 'asc';
    }
    const keep = this._selected?.path ?? null;
    this._replaceListing();
    this._activeIndex = -1;
    this._emit();
    if (keep === null) {
      this._selectionChanged.emit();
    }
    await this._listing.loadUntil(1);
    const index = keep
      ? this._listing.items.findIndex(e => e.path === keep)
      : -1;
    if (index >= 0) {
      this._activeIndex = index;
      this._emit();
    }
  }

  /**
   * Put the keyboard on a row and preview its entry.
   */
  select(index: number): void {
    const entry = this._listing.items[index];
    if (!entry) {
      return;
    }
    this._activeIndex = index;
    if (this._selected?.path !== entry.path) {
      this._selected = entry;
      this._selectionChanged.emit();
    }
    this._emit();
  }

  /**
   * Select the entry at `path` if it is loaded in the folder on show.
   */
  selectPath(path: string): void {
    const index = this._listing.items.findIndex(e => e.path === path);
    if (index >= 0) {
      this.select(index);
    }
  }

  /**
   * Select nothing: the preview shows the folder itself.
   */
  clearSelection(): void {
    if (this._selected === null) {
      return;
    }
    this._selected = null;
    this._emit();
    this._selectionChanged.emit();
  }

  /**
   * Open a folder's row, or select a file's.
   */
  activate(index: number): void {
    const entry = this._listing.items[index];
    if (!entry) {
      return;
    }
    if (entry.type === 'directory') {
      void this.open(entry.path);
    } else {
      this.select(index);
    }
  }

  /**
   * Load the folder on show again.
   */
  async refresh(): Promise<void> {
    const keep = this._selected?.path ?? null;
    const wanted = Math.max(1, this._activeIndex + 1);
    this._replaceListing();
    this._emit();
    if (keep === null) {
      this._selectionChanged.emit();
    }
    await this._listing.loadUntil(wanted);
    const index = keep
      ? this._listing.items.findIndex(e => e.path === keep)
      : -1;
    this._activeIndex = index;
    this._emit();
    if (keep !== null) {
      // The entry as listed now (or the folder, where it went): a fresh preview.
      this._selected = index >= 0 ? this._listing.items[index] : null;
      this._selectionChanged.emit();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._listing.dispose();
    Signal.clearData(this);
  }

  private _makeListing(): PagedList<IDatasetEntry> {
    const listing = folderListing(
      this._api,
      this.dataset,
      this._version,
      this._path,
      this._sort,
      this._order
    );
    listing.changed.connect(this._emit, this);
    return listing;
  }

  private _replaceListing(): void {
    this._listing.dispose();
    this._listing = this._makeListing();
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _activeIndex = -1;
  private _api: IDatasetsAPI;
  private _changed = new Signal<this, void>(this);
  private _isDisposed = false;
  private _listing: PagedList<IDatasetEntry>;
  private _order: SortOrder = 'asc';
  private _path = '';
  private _selected: IDatasetEntry | null = null;
  private _selectionChanged = new Signal<this, void>(this);
  private _sort: SortKey = 'name';
  private _version: string;
}

export namespace BrowserModel {
  export interface IOptions {
    api: IDatasetsAPI;
    dataset: string;
    version: string;
  }
}
