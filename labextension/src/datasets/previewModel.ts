/**
 * The state behind the preview pane. It follows the file browser: the
 * selected file's preview (fetched from the server, bounded there), or,
 * with a folder selected or nothing, that folder, shown as a grid of
 * thumbnails when most of its files are images.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { asPlatformError } from '../shared/errors';
import { IDatasetsAPI } from './api';
import {
  BrowserModel,
  folderListing,
  isImage,
  isMostlyImages
} from './browserModel';
import { PagedList } from './pagedList';
import { IDatasetEntry, IDatasetPreview } from './tokens';

/**
 * How long the selection must rest before its preview is fetched, so that
 * holding an arrow key down does not ask for every file passed.
 */
const PREVIEW_DELAY_MS = 120;

/**
 * What a preview asks the server for: a thumbnail that fills the pane on a
 * high-density screen, a screenful of table rows, 16 KiB of text.
 */
const PREVIEW_OPTIONS = { size: 768, rows: 50, bytes: 16 * 1024 };

/**
 * Edge of the thumbnails in the grid, in pixels; twice the cell for sharp
 * images on high-density screens.
 */
export const GRID_THUMBNAIL_SIZE = 256;

export type PreviewTarget =
  | { kind: 'file'; entry: IDatasetEntry }
  /**
   * A folder: the selected one (`entry`), or the one on show (`entry` null).
   */
  | { kind: 'folder'; path: string; entry: IDatasetEntry | null };

export class PreviewModel {
  constructor(options: PreviewModel.IOptions) {
    this._api = options.api;
    this._browser = options.browser;
    this._browser.selectionChanged.connect(this._follow, this);
    this._follow();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get dataset(): string {
    return this._browser.dataset;
  }

  /**
   * The version the preview is of.
   */
  get version(): string {
    return this._version;
  }

  get target(): PreviewTarget {
    return this._target;
  }

  /**
   * A file's preview, once it arrived.
   */
  get preview(): IDatasetPreview | null {
    return this._preview;
  }

  /**
   * Why the file could not be previewed: a corrupt or too large file is the
   * server's message, not a failure of the panel.
   */
  get error(): PlatformAPIError | null {
    return this._error;
  }

  get isLoading(): boolean {
    return this._isLoading;
  }

  /**
   * Whether the file on show belongs to a grid of images, which `back`
   * returns to: it was opened from a selected folder's grid, or it is
   * selected in a folder of images.
   */
  get canGoBack(): boolean {
    if (this._target.kind !== 'file') {
      return false;
    }
    return (
      this._returnTo !== null || isMostlyImages(this._browser.listing.items)
    );
  }

  /**
   * The entries of the folder on show: the browser's own for the folder it
   * shows, else the selected folder's.
   */
  get folder(): PagedList<IDatasetEntry> | null {
    if (this._target.kind !== 'folder') {
      return null;
    }
    return this._folder ?? this._browser.listing;
  }

  /**
   * Whether the folder on show is shown as a grid of thumbnails.
   */
  get isImageFolder(): boolean {
    const folder = this.folder;
    return folder !== null && isMostlyImages(folder.items);
  }

  /**
   * The images of the folder on show, as far as it is loaded.
   */
  get images(): IDatasetEntry[] {
    return (this.folder?.items ?? []).filter(isImage);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load more of the folder on show, for the grid.
   */
  async loadMoreImages(): Promise<void> {
    const folder = this.folder;
    if (folder && folder.hasMore && !folder.isLoading) {
      await folder.loadUntil(folder.items.length + 1);
    }
  }

  /**
   * Show one image of the grid.
   */
  openImage(entry: IDatasetEntry): void {
    if (this._target.kind !== 'folder') {
      return;
    }
    if (this._folder === null) {
      // The grid is the browser's folder: select the file there.
      this._browser.selectPath(entry.path);
      return;
    }
    this._returnTo = this._target;
    this._show({ kind: 'file', entry });
  }

  /**
   * Go back from an image to the grid it was opened from, or to the folder
   * on show.
   */
  back(): void {
    if (this._returnTo !== null && this._target.kind === 'file') {
      const folder = this._returnTo;
      this._returnTo = null;
      this._show(folder);
    } else {
      this._browser.clearSelection();
    }
  }

  thumbnailURL(entry: IDatasetEntry, size = GRID_THUMBNAIL_SIZE): string {
    return this._api.thumbnailURL(
      this.dataset,
      this._version,
      entry.path,
      size
    );
  }

  rawURL(entry: IDatasetEntry): string {
    return this._api.rawURL(this.dataset, this._version, entry.path);
  }

  /**
   * Fetch the preview on show again.
   */
  async refresh(): Promise<void> {
    if (this._target.kind === 'file') {
      await this._load(this._target.entry);
    } else if (this._folder) {
      await this._folder.reload();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearTimeout(this._timer);
    this._folder?.dispose();
    this._watched?.changed.disconnect(this._emit, this);
    Signal.clearData(this);
  }

  /**
   * Show what the browser selected now.
   */
  private _follow(): void {
    this._returnTo = null;
    this._replaceFolder(null);
    const selected = this._browser.selected;
    if (selected === null) {
      this._show({ kind: 'folder', path: this._browser.path, entry: null });
    } else if (selected.type === 'directory') {
      const folder = folderListing(
        this._api,
        this.dataset,
        this._browser.version,
        selected.path
      );
      this._replaceFolder(folder);
      void folder.loadUntil(1);
      this._show({ kind: 'folder', path: selected.path, entry: selected });
    } else {
      this._show({ kind: 'file', entry: selected });
    }
  }

  private _show(target: PreviewTarget): void {
    window.clearTimeout(this._timer);
    this._generation++;
    this._version = this._browser.version;
    this._target = target;
    this._preview = null;
    this._error = null;
    this._isLoading = target.kind === 'file';
    if (target.kind === 'file') {
      const entry = target.entry;
      this._timer = window.setTimeout(
        () => void this._load(entry),
        PREVIEW_DELAY_MS
      );
    }
    this._emit();
  }

  private async _load(entry: IDatasetEntry): Promise<void> {
    const generation = ++this._generation;
    this._isLoading = true;
    this._error = null;
    this._emit();
    try {
      const preview = await this._api.preview(
        this.dataset,
        this._version,
        entry.path,
        PREVIEW_OPTIONS
      );
      if (generation === this._generation) {
        this._preview = preview;
      }
    } catch (reason) {
      if (generation === this._generation) {
        this._preview = null;
        this._error = asPlatformError(reason, entry.path);
      }
    } finally {
      if (generation === this._generation) {
        this._isLoading = false;
        this._emit();
      }
    }
  }

  private _replaceFolder(folder: PagedList<IDatasetEntry> | null): void {
    this._folder?.dispose();
    this._folder = folder;
    // The grid grows as either folder loads: the selected one, or the one
    // the browser shows (whose listing is new for every folder and order).
    this._watched?.changed.disconnect(this._emit, this);
    this._watched = folder ?? this._browser.listing;
    this._watched.changed.connect(this._emit, this);
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _api: IDatasetsAPI;
  private _browser: BrowserModel;
  private _changed = new Signal<this, void>(this);
  private _error: PlatformAPIError | null = null;
  private _folder: PagedList<IDatasetEntry> | null = null;
  private _generation = 0;
  private _isDisposed = false;
  private _isLoading = false;
  private _preview: IDatasetPreview | null = null;
  private _returnTo: PreviewTarget | null = null;
  private _target: PreviewTarget = { kind: 'folder', path: '', entry: null };
  private _timer = 0;
  private _version = '';
  private _watched: PagedList<IDatasetEntry> | null = null;
}

export namespace PreviewModel {
  export interface IOptions {
    api: IDatasetsAPI;
    browser: BrowserModel;
  }
}
