/**
 * The dataset routes of the platform API, one typed function each, all
 * through `requestAPI`. Links the browser follows by itself (thumbnails in
 * `<img>`, downloads) are built here too, so every URL of the datasets API
 * is spelled in one file.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  API_NAMESPACE,
  pathSegment as segment,
  queryString,
  requestAPI
} from '../handler';
import {
  ChangeKind,
  IDataset,
  IDatasetDiff,
  IDatasetPage,
  IDatasetPreview,
  IDatasetRun,
  IDatasetTree,
  IDatasetVersion,
  SortKey,
  SortOrder
} from './tokens';

/**
 * A path inside a dataset as the routes take it: each folder encoded,
 * joined by `/`.
 */
function filePath(path: string): string {
  return path.split('/').map(segment).join('/');
}

function versionPath(name: string, version: string): string {
  return `datasets/${segment(name)}/versions/${segment(version)}`;
}

/**
 * What a preview may read, each bounded by the server.
 */
export interface IPreviewOptions {
  /**
   * Longest thumbnail edge, pixels.
   */
  size?: number;
  /**
   * Table rows.
   */
  rows?: number;
  /**
   * Text bytes.
   */
  bytes?: number;
}

/**
 * The datasets API as the Datasets panel uses it. Models take one of these,
 * so they can be driven by something other than a live server.
 */
export interface IDatasetsAPI {
  listDatasets(
    q: string,
    cursor?: string | null
  ): Promise<IDatasetPage<IDataset>>;
  getDataset(name: string): Promise<IDataset>;
  /**
   * Versions, newest first.
   */
  listVersions(
    name: string,
    cursor?: string | null
  ): Promise<IDatasetPage<IDatasetVersion>>;
  /**
   * One page of a folder of a version: sub-folders first, then files.
   */
  tree(
    name: string,
    version: string,
    path: string,
    sort: SortKey,
    order: SortOrder,
    cursor: string | null,
    limit: number
  ): Promise<IDatasetTree>;
  preview(
    name: string,
    version: string,
    path: string,
    options?: IPreviewOptions
  ): Promise<IDatasetPreview>;
  /**
   * One page of what changed from `from` to `to`, optionally of one kind.
   */
  diff(
    name: string,
    from: string,
    to: string,
    change: ChangeKind | null,
    cursor: string | null,
    limit: number
  ): Promise<IDatasetDiff>;
  /**
   * Runs that used a version, most recent use first.
   */
  runsUsing(
    name: string,
    version: string,
    cursor?: string | null
  ): Promise<IDatasetPage<IDatasetRun>>;
  /**
   * A server-made thumbnail of an image, as a link for `<img>`.
   */
  thumbnailURL(
    name: string,
    version: string,
    path: string,
    size: number
  ): string;
  /**
   * A file's download link; same-origin, so the browser sends the session's
   * cookies with it.
   */
  rawURL(name: string, version: string, path: string): string;
}

/**
 * The datasets API of a Jupyter server.
 */
export class DatasetsAPI implements IDatasetsAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._settings = settings;
  }

  listDatasets(
    q: string,
    cursor: string | null = null
  ): Promise<IDatasetPage<IDataset>> {
    return this._get(`datasets${queryString({ q: q.trim(), cursor })}`);
  }

  getDataset(name: string): Promise<IDataset> {
    return this._get(`datasets/${segment(name)}`);
  }

  listVersions(
    name: string,
    cursor: string | null = null
  ): Promise<IDatasetPage<IDatasetVersion>> {
    return this._get(
      `datasets/${segment(name)}/versions${queryString({ cursor })}`
    );
  }

  tree(
    name: string,
    version: string,
    path: string,
    sort: SortKey,
    order: SortOrder,
    cursor: string | null,
    limit: number
  ): Promise<IDatasetTree> {
    return this._get(
      `${versionPath(name, version)}/tree${queryString({
        path,
        sort,
        order,
        cursor,
        limit
      })}`
    );
  }

  preview(
    name: string,
    version: string,
    path: string,
    options: IPreviewOptions = {}
  ): Promise<IDatasetPreview> {
    return this._get(
      `${versionPath(name, version)}/preview/${filePath(path)}${queryString({
        size: options.size,
        rows: options.rows,
        bytes: options.bytes
      })}`
    );
  }

  diff(
    name: string,
    from: string,
    to: string,
    change: ChangeKind | null,
    cursor: string | null,
    limit: number
  ): Promise<IDatasetDiff> {
    return this._get(
      `datasets/${segment(name)}/diff${queryString({
        from,
        to,
        change,
        cursor,
        limit
      })}`
    );
  }

  runsUsing(
    name: string,
    version: string,
    cursor: string | null = null
  ): Promise<IDatasetPage<IDatasetRun>> {
    return this._get(
      `${versionPath(name, version)}/runs${queryString({ cursor })}`
    );
  }

  thumbnailURL(
    name: string,
    version: string,
    path: string,
    size: number
  ): string {
    return this._url(
      `${versionPath(name, version)}/thumbnail/${filePath(path)}${queryString({
        size
      })}`
    );
  }

  rawURL(name: string, version: string, path: string): string {
    return this._url(`${versionPath(name, version)}/raw/${filePath(path)}`);
  }

  private _get<T>(endpoint: string): Promise<T> {
    return requestAPI<T>(endpoint, {}, this._settings);
  }

  private _url(endpoint: string): string {
    return URLExt.join(this._settings.baseUrl, API_NAMESPACE, endpoint);
  }

  private _settings: ServerConnection.ISettings;
}
