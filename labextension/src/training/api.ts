/**
 * The training routes of the platform API, one typed function each, all
 * through `requestAPI`: jobs (list, launch, cancel, logs, backends), sweeps
 * (list, one with its trials, cancel),
 * and the server's GPUs that bound the launch form.
 */
import { ServerConnection } from '@jupyterlab/services';

import { pathSegment, queryString, requestAPI } from '../handler';
import { IPlatformInfo } from '../tokens';
import {
  IBackend,
  IJob,
  IJobsPage,
  ILogChunk,
  INewJob,
  ISweepDetail,
  ISweepsPage,
  JobFilter
} from './tokens';

/**
 * The training API as the Training panel uses it. Models take one of
 * these, so they can be driven by something other than a live server.
 */
export interface ITrainingAPI {
  listJobs(
    status: JobFilter,
    cursor?: string | null,
    limit?: number
  ): Promise<IJobsPage>;
  getJob(id: string): Promise<IJob>;
  launch(job: INewJob): Promise<IJob>;
  cancel(id: string): Promise<IJob>;
  /**
   * Up to `limit` bytes of a rank's log from byte `offset`.
   */
  readLog(
    id: string,
    rank: number,
    offset: number,
    limit?: number
  ): Promise<ILogChunk>;
  backends(): Promise<IBackend[]>;
  /**
   * The server's platform facts, for its GPUs.
   */
  info(): Promise<IPlatformInfo>;
  listSweeps(cursor?: string | null, limit?: number): Promise<ISweepsPage>;
  getSweep(id: string): Promise<ISweepDetail>;
  /**
   * Stop a sweep and its running trials; answers once it stopped (or after
   * a while, still running while its trials stop).
   */
  cancelSweep(id: string): Promise<ISweepDetail>;
}

/**
 * The training API of a Jupyter server.
 */
export class TrainingAPI implements ITrainingAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._settings = settings;
  }

  listJobs(
    status: JobFilter,
    cursor: string | null = null,
    limit?: number
  ): Promise<IJobsPage> {
    return this._get(`jobs${queryString({ status, limit, cursor })}`);
  }

  getJob(id: string): Promise<IJob> {
    return this._get(`jobs/${pathSegment(id)}`);
  }

  launch(job: INewJob): Promise<IJob> {
    return requestAPI(
      'jobs',
      { method: 'POST', body: JSON.stringify(job) },
      this._settings
    );
  }

  cancel(id: string): Promise<IJob> {
    return requestAPI(
      `jobs/${pathSegment(id)}/cancel`,
      { method: 'POST' },
      this._settings
    );
  }

  readLog(
    id: string,
    rank: number,
    offset: number,
    limit?: number
  ): Promise<ILogChunk> {
    return this._get(
      `jobs/${pathSegment(id)}/logs${queryString({ rank, offset, limit })}`
    );
  }

  async backends(): Promise<IBackend[]> {
    const body = await this._get<{ backends: IBackend[] }>('jobs/backends');
    return body.backends;
  }

  info(): Promise<IPlatformInfo> {
    return this._get('info');
  }

  listSweeps(
    cursor: string | null = null,
    limit?: number
  ): Promise<ISweepsPage> {
    return this._get(`sweeps${queryString({ limit, cursor })}`);
  }

  getSweep(id: string): Promise<ISweepDetail> {
    return this._get(`sweeps/${pathSegment(id)}`);
  }

  cancelSweep(id: string): Promise<ISweepDetail> {
    return requestAPI(
      `sweeps/${pathSegment(id)}/cancel`,
      { method: 'POST' },
      this._settings
    );
  }

  private _get<T>(endpoint: string): Promise<T> {
    return requestAPI<T>(endpoint, {}, this._settings);
  }

  private _settings: ServerConnection.ISettings;
}
