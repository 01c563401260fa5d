/**
 * The tracking routes of the platform API, one typed function each, all
 * through `requestAPI`. Links the browser follows by itself (CSV export,
 * artifact downloads) are built here too, so every URL of the tracking API
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
  IArtifact,
  ICompareResult,
  IMetricSeries,
  IPage,
  IProject,
  IRun,
  IRunColumns,
  IRunDetail,
  IRunPatch,
  IRunQuery,
  IRunsPage
} from './tokens';

/**
 * The query parameters of `GET /runs` and `GET /runs/export.csv` for a query.
 */
function runParams(
  query: IRunQuery
): Record<string, string | string[] | undefined> {
  return {
    project: query.project,
    q: query.q.trim(),
    filter: query.filters,
    sort: query.sort,
    order: query.order,
    archived: query.archived
  };
}

/**
 * The tracking API as the Experiments panel uses it. Models take one of
 * these, so they can be driven by something other than a live server.
 */
export interface ITrackingAPI {
  listProjects(cursor?: string | null): Promise<IPage<IProject>>;
  /**
   * A page of the runs a query matches; with `count`, also how many match.
   */
  listRuns(
    query: IRunQuery,
    cursor?: string | null,
    limit?: number,
    count?: boolean
  ): Promise<IRunsPage>;
  runColumns(project: string): Promise<IRunColumns>;
  getRun(id: string): Promise<IRunDetail>;
  updateRun(id: string, patch: IRunPatch): Promise<IRun>;
  deleteRun(id: string): Promise<void>;
  getMetric(id: string, key: string, points: number): Promise<IMetricSeries>;
  /**
   * Series of `keys` (all the runs' keys when empty) for several runs.
   */
  compare(
    runs: string[],
    keys: string[],
    points: number
  ): Promise<ICompareResult>;
  listArtifacts(id: string, cursor?: string | null): Promise<IPage<IArtifact>>;
  /**
   * The model folders the run kept with `run.log_model`, which can be
   * published to the registry (`GET /runs/{id}/models`).
   */
  runModels(id: string): Promise<string[]>;
  /**
   * The CSV of the runs a query matches, as a link (`GET /runs/export.csv`).
   */
  exportURL(query: IRunQuery): string;
  /**
   * The download link of one artifact; same-origin, so the browser sends
   * the session's cookies with it.
   */
  artifactURL(id: string, name: string): string;
}

/**
 * The tracking API of a Jupyter server.
 */
export class TrackingAPI implements ITrackingAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._settings = settings;
  }

  listProjects(cursor: string | null = null): Promise<IPage<IProject>> {
    return this._get(`projects${queryString({ cursor })}`);
  }

  listRuns(
    query: IRunQuery,
    cursor: string | null = null,
    limit?: number,
    count = false
  ): Promise<IRunsPage> {
    return this._get(
      `runs${queryString({
        ...runParams(query),
        limit,
        cursor,
        count: count ? 'true' : null
      })}`
    );
  }

  runColumns(project: string): Promise<IRunColumns> {
    return this._get(`runs/columns${queryString({ project })}`);
  }

  getRun(id: string): Promise<IRunDetail> {
    return this._get(`runs/${segment(id)}`);
  }

  updateRun(id: string, patch: IRunPatch): Promise<IRun> {
    return requestAPI(
      `runs/${segment(id)}`,
      { method: 'PATCH', body: JSON.stringify(patch) },
      this._settings
    );
  }

  async deleteRun(id: string): Promise<void> {
    await requestAPI(
      `runs/${segment(id)}`,
      { method: 'DELETE' },
      this._settings
    );
  }

  getMetric(id: string, key: string, points: number): Promise<IMetricSeries> {
    return this._get(
      `runs/${segment(id)}/metrics/${segment(key)}${queryString({ points })}`
    );
  }

  compare(
    runs: string[],
    keys: string[],
    points: number
  ): Promise<ICompareResult> {
    return this._get(
      `compare${queryString({
        runs: runs.join(','),
        keys: keys.join(','),
        points
      })}`
    );
  }

  listArtifacts(
    id: string,
    cursor: string | null = null
  ): Promise<IPage<IArtifact>> {
    return this._get(`runs/${segment(id)}/artifacts${queryString({ cursor })}`);
  }

  async runModels(id: string): Promise<string[]> {
    const body = await this._get<{ models: string[] }>(
      `runs/${segment(id)}/models`
    );
    return body.models;
  }

  exportURL(query: IRunQuery): string {
    return this._url(`runs/export.csv${queryString(runParams(query))}`);
  }

  artifactURL(id: string, name: string): string {
    return this._url(`runs/${segment(id)}/artifacts/${segment(name)}`);
  }

  private _get<T>(endpoint: string): Promise<T> {
    return requestAPI<T>(endpoint, {}, this._settings);
  }

  private _url(endpoint: string): string {
    return URLExt.join(this._settings.baseUrl, API_NAMESPACE, endpoint);
  }

  private _settings: ServerConnection.ISettings;
}
