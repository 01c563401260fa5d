/**
 * The shapes the Datasets panel shares: what the datasets API returns
 * (`/dl/api/datasets/...`) and the ids of the panel's commands.
 *
 * The response interfaces mirror the dataset handlers of the server
 * extension (`extensions/jupyter_dl/datasets`, documented in its
 * `openapi.yaml`); keep the two in step.
 */
import type { JSONValue, RunStatus } from '../experiments/tokens';

/**
 * One version of a dataset: a git commit of its DVC-tracked folder.
 */
export interface IDatasetVersion {
  dataset: string;
  /**
   * How the version is named in URLs and code: its tag, else its short commit id.
   */
  ref: string;
  /**
   * The git commit, 40 hexadecimal digits.
   */
  commit: string;
  tag: string | null;
  message: string;
  author: string;
  created_at: string;
  /**
   * How many files the version holds.
   */
  files: number;
  /**
   * Bytes of all its files.
   */
  size: number;
  /**
   * DVC's hash of the folder: equal hashes, equal content.
   */
  hash: string;
}

/**
 * A dataset's catalog entry.
 */
export interface IDataset {
  name: string;
  description: string;
  owner: string | null;
  tags: string[];
  created_at: string;
  updated_at: string;
  /**
   * How many versions the dataset has.
   */
  versions: number;
  latest: IDatasetVersion | null;
}

/**
 * One page of a list of the datasets API.
 */
export interface IDatasetPage<T> {
  items: T[];
  /**
   * Pass as `cursor` to get the next page; `null` on the last page.
   */
  next_cursor: string | null;
  /**
   * How many items the list holds in all, where the route counts them.
   */
  total?: number;
}

export type EntryType = 'file' | 'directory';

/**
 * A file or folder of a version.
 */
export interface IDatasetEntry {
  /**
   * The path inside the dataset, `/`-separated.
   */
  path: string;
  name: string;
  type: EntryType;
  /**
   * Bytes; for a folder, of all the files below it.
   */
  size: number;
  /**
   * 1 for a file; for a folder, how many files are below it.
   */
  files: number;
  /**
   * `null` for folders.
   */
  md5: string | null;
}

/**
 * The response of `GET /datasets/{name}/versions/{version}/tree`.
 */
export interface IDatasetTree {
  dataset: string;
  version: string;
  path: string;
  items: IDatasetEntry[];
  next_cursor: string | null;
  /**
   * Entries (folders and files) directly in the folder.
   */
  total: number;
}

export type SortKey = 'name' | 'size';
export type SortOrder = 'asc' | 'desc';

export type PreviewKind = 'image' | 'table' | 'text' | 'array' | 'binary';

interface IPreviewBase {
  path: string;
  size: number;
  mime_type: string;
  /**
   * `png`, `jpeg`, ... for images; `csv` or `parquet`; `text` or `json`;
   * `npy`; `binary`.
   */
  format: string;
}

export interface IImagePreview extends IPreviewBase {
  kind: 'image';
  width: number;
  height: number;
  /**
   * Pillow's mode: `RGB`, `RGBA`, `L`, ...
   */
  mode: string;
  frames: number;
  thumbnail: {
    mime_type: string;
    width: number;
    height: number;
    /**
     * The thumbnail's bytes, base64.
     */
    data: string;
  };
}

/**
 * A column of a table preview: a CSV column's type is guessed from the
 * rows shown (`integer`, `number`, `boolean`, `string`, `empty`), a Parquet
 * column's is its Arrow type.
 */
export interface ITableColumn {
  name: string;
  type: string;
}

export interface ITablePreview extends IPreviewBase {
  kind: 'table';
  columns: ITableColumn[];
  rows: JSONValue[][];
  /**
   * `null` when the file is longer than what the server read.
   */
  total_rows: number | null;
  /**
   * Whether rows or columns were left out.
   */
  truncated: boolean;
  dialect?: { delimiter: string; quotechar: string; header: boolean };
}

export interface ITextPreview extends IPreviewBase {
  kind: 'text';
  text: string;
  truncated: boolean;
  encoding: string;
}

export interface IArrayPreview extends IPreviewBase {
  kind: 'array';
  shape: number[];
  dtype: string;
  fortran_order: boolean;
  /**
   * The corner `a[:10, :10, 0, ...]` as nested lists (a scalar for 0-d arrays).
   */
  slice: JSONValue;
  slice_shape: number[];
}

export interface IBinaryPreview extends IPreviewBase {
  kind: 'binary';
  /**
   * The first 64 bytes in hexadecimal.
   */
  head: string;
}

/**
 * The response of `GET /datasets/{name}/versions/{version}/preview/{path}`.
 */
export type IDatasetPreview =
  IImagePreview | ITablePreview | ITextPreview | IArrayPreview | IBinaryPreview;

export type ChangeKind = 'added' | 'removed' | 'modified';

export const CHANGE_KINDS: ChangeKind[] = ['added', 'removed', 'modified'];

/**
 * A file's content on one side of a diff.
 */
export interface IFileState {
  md5: string;
  size: number;
}

export interface IDatasetChange {
  path: string;
  change: ChangeKind;
  from: IFileState | null;
  to: IFileState | null;
}

/**
 * The response of `GET /datasets/{name}/diff`.
 */
export interface IDatasetDiff {
  dataset: string;
  from: string;
  to: string;
  /**
   * How many files changed in each way, whatever the page holds.
   */
  summary: Record<ChangeKind, number>;
  items: IDatasetChange[];
  next_cursor: string | null;
}

/**
 * A run that used a version (lineage).
 */
export interface IDatasetRun {
  id: string;
  project: string;
  name: string;
  status: RunStatus;
  created_at: string;
  used_at: string;
}

/**
 * Command ids of the Datasets panel.
 */
export namespace DatasetsCommandIDs {
  export const open = 'jupyter-dl:open-datasets';
}

/**
 * The id of the Datasets panel in the shell and the layout restorer.
 */
export const DATASETS_ID = 'jupyter-dl:datasets';
