/**
 * The state of the whole Training panel: which view is on show (the jobs,
 * the sweeps, one job, one sweep, or the launch form) and the model behind
 * each. Only the view on show is active, so only it refreshes live.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { LiveList } from '../shared/liveList';
import { ITrainingAPI } from './api';
import { isJobLive, JobModel } from './jobModel';
import { LaunchModel } from './launchModel';
import { isSweepLive, SweepModel } from './sweepModel';
import { IJob, ISweep, JobFilter } from './tokens';

export type TrainingView = 'jobs' | 'sweeps' | 'job' | 'sweep' | 'launch';

/**
 * Jobs and sweeps per request.
 */
export const PAGE_SIZE = 50;

export class TrainingModel {
  constructor(options: TrainingModel.IOptions) {
    this._api = options.api;
    this.jobs = new LiveList<IJob>({
      fetch: (cursor, limit) => this._api.listJobs(this._filter, cursor, limit),
      key: job => job.id,
      isLive: isJobLive,
      pageSize: PAGE_SIZE,
      what: 'jobs'
    });
    this.sweeps = new LiveList<ISweep>({
      fetch: (cursor, limit) => this._api.listSweeps(cursor, limit),
      key: sweep => sweep.id,
      isLive: isSweepLive,
      pageSize: PAGE_SIZE,
      what: 'sweeps'
    });
  }

  readonly jobs: LiveList<IJob>;
  readonly sweeps: LiveList<ISweep>;

  /**
   * Emitted when the view on show changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get view(): TrainingView {
    return this._view;
  }

  /**
   * The list shown by the list views, and returned to from the others.
   */
  get list(): 'jobs' | 'sweeps' {
    return this._list;
  }

  /**
   * Which jobs the list shows.
   */
  get filter(): JobFilter {
    return this._filter;
  }

  get job(): JobModel | null {
    return this._job;
  }

  get sweep(): SweepModel | null {
    return this._sweep;
  }

  get launch(): LaunchModel | null {
    return this._launch;
  }

  get isActive(): boolean {
    return this._isActive;
  }

  set isActive(value: boolean) {
    if (value === this._isActive) {
      return;
    }
    this._isActive = value;
    this._activate();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load the first page of jobs (and of sweeps, for the tab's count).
   */
  async start(): Promise<void> {
    await Promise.all([this.jobs.reload(), this.sweeps.reload()]);
  }

  /**
   * Show the jobs or the sweeps.
   */
  showList(list: 'jobs' | 'sweeps' = this._list): void {
    this._close();
    this._list = list;
    this._view = list;
    this._activate();
    this._changed.emit();
  }

  setFilter(filter: JobFilter): void {
    if (filter === this._filter) {
      return;
    }
    this._filter = filter;
    this._changed.emit();
    void this.jobs.reload();
  }

  /**
   * Show one job; `job` is its record when already known.
   */
  openJob(id: string, job: IJob | null = null): void {
    this._close();
    const model = new JobModel({
      api: this._api,
      id,
      job: job ?? this.jobs.items.find(item => item.id === id) ?? null
    });
    model.jobUpdated.connect((_, updated) => this.jobs.update(updated));
    this._job = model;
    this._list = 'jobs';
    this._view = 'job';
    this._activate();
    this._changed.emit();
  }

  openSweep(id: string): void {
    this._close();
    const model = new SweepModel({ api: this._api, id });
    model.sweepUpdated.connect((_, updated) => this.sweeps.update(updated));
    this._sweep = model;
    this._list = 'sweeps';
    this._view = 'sweep';
    this._activate();
    this._changed.emit();
  }

  /**
   * Show the launch form, prefilled with `path` when given; a launched job
   * opens with its log followed.
   */
  openLaunch(path?: string | null): void {
    if (this._launch && this._view === 'launch') {
      if (path) {
        this._launch.set('path', path);
      }
      return;
    }
    this._close();
    const launch = new LaunchModel({ api: this._api, path: path ?? '' });
    launch.launched.connect((_, job) => {
      void this.jobs.reload();
      this.openJob(job.id, job);
    });
    this._launch = launch;
    this._list = 'jobs';
    this._view = 'launch';
    this._activate();
    this._changed.emit();
    void launch.start();
  }

  /**
   * Fetch again what is on show.
   */
  async refresh(): Promise<void> {
    switch (this._view) {
      case 'job':
        return this._job?.refresh();
      case 'sweep':
        return this._sweep?.refresh();
      case 'sweeps':
        return this.sweeps.refresh();
      case 'launch':
        return this._launch?.start();
      default:
        return this.jobs.refresh();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._close();
    this.jobs.dispose();
    this.sweeps.dispose();
    Signal.clearData(this);
  }

  private _activate(): void {
    const active = this._isActive;
    this.jobs.isActive = active && this._view === 'jobs';
    this.sweeps.isActive = active && this._view === 'sweeps';
    if (this._job) {
      this._job.isActive = active && this._view === 'job';
    }
    if (this._sweep) {
      this._sweep.isActive = active && this._view === 'sweep';
    }
  }

  private _close(): void {
    this._job?.dispose();
    this._job = null;
    this._sweep?.dispose();
    this._sweep = null;
    this._launch?.dispose();
    this._launch = null;
  }

  private _api: ITrainingAPI;
  private _changed = new Signal<this, void>(this);
  private _filter: JobFilter = '';
  private _isActive = false;
  private _isDisposed = false;
  private _job: JobModel | null = null;
  private _launch: LaunchModel | null = null;
  private _list: 'jobs' | 'sweeps' = 'jobs';
  private _sweep: SweepModel | null = null;
  private _view: TrainingView = 'jobs';
}

export namespace TrainingModel {
  export interface IOptions {
    api: ITrainingAPI;
  }
}
