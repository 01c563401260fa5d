/**
 * The state behind one run's page: the run with its metric keys, one
 * downsampled series per metric sized to the charts' width, the artifacts,
 * and the edits (name, notes, tags, archive, delete). While the run is
 * running, the run and its series refresh every two seconds.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { ITrackingAPI } from './api';
import { asPlatformError } from '../shared/errors';
import {
  DEFAULT_POINTS,
  LIVE_INTERVAL_MS,
  LIVE_MAX_INTERVAL_MS,
  pointsForWidth
} from './live';
import {
  IArtifact,
  IMetricSeries,
  IRun,
  IRunDetail,
  IRunPatch
} from './tokens';

/**
 * The prefix of the metric keys the platform logs about the machine.
 */
export const SYSTEM_PREFIX = 'system/';

export class RunModel {
  constructor(options: RunModel.IOptions) {
    this._api = options.api;
    this._id = options.id;
    this._poll = new Poll({
      auto: false,
      factory: () => this._load(false),
      frequency: {
        interval: LIVE_INTERVAL_MS,
        backoff: true,
        max: LIVE_MAX_INTERVAL_MS
      },
      name: 'jupyter-dl:experiments-run',
      standby: () =>
        !this._isActive ||
        this._run === null ||
        this._run.status !== 'running' ||
        'when-hidden'
    });
    void this._poll.start();
  }

  get id(): string {
    return this._id;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with the run after an edit was saved.
   */
  get runUpdated(): ISignal<this, IRun> {
    return this._runUpdated;
  }

  /**
   * Emitted once the run was deleted.
   */
  get deleted(): ISignal<this, string> {
    return this._deleted;
  }

  get run(): IRunDetail | null {
    return this._run;
  }

  get isLoading(): boolean {
    return this._isLoading;
  }

  get error(): PlatformAPIError | null {
    return this._error;
  }

  get lastUpdated(): Date | null {
    return this._lastUpdated;
  }

  /**
   * The metric keys, the run's own first, then the system ones.
   */
  get metricKeys(): string[] {
    return (this._run?.metrics ?? []).map(metric => metric.key);
  }

  series(key: string): IMetricSeries | null {
    return this._series.get(key) ?? null;
  }

  seriesError(key: string): PlatformAPIError | null {
    return this._seriesErrors.get(key) ?? null;
  }

  get artifacts(): IArtifact[] | null {
    return this._artifacts;
  }

  get artifactsError(): PlatformAPIError | null {
    return this._artifactsError;
  }

  get hasMoreArtifacts(): boolean {
    return this._artifactsCursor !== null;
  }

  artifactURL(name: string): string {
    return this._api.artifactURL(this._id, name);
  }

  /**
   * The model folders the run kept with `run.log_model`, which can be
   * published; empty while unknown.
   */
  get models(): string[] {
    return this._models;
  }

  /**
   * Whether an edit is being saved.
   */
  get isSaving(): boolean {
    return this._isSaving;
  }

  /**
   * The error of the last edit, `null` once one succeeds.
   */
  get saveError(): PlatformAPIError | null {
    return this._saveError;
  }

  /**
   * How many points each series is fetched with: the charts' width.
   */
  get points(): number {
    return this._points;
  }

  /**
   * The charts report their width in pixels; a width in another bucket of
   * 100 pixels refetches the series at that resolution.
   */
  set points(width: number) {
    const points = pointsForWidth(width);
    if (points === this._points) {
      return;
    }
    this._points = points;
    if (this._run !== null) {
      void this._loadSeries(this.metricKeys);
    }
  }

  get isActive(): boolean {
    return this._isActive;
  }

  set isActive(value: boolean) {
    if (value === this._isActive || this.isDisposed) {
      return;
    }
    this._isActive = value;
    if (value && this._run?.status === 'running') {
      void this._poll.refresh();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load the run, its series and its artifacts.
   */
  async refresh(): Promise<void> {
    try {
      await this._load(true);
    } catch {
      // Recorded on `error`.
    }
  }

  rename(name: string): Promise<void> {
    const trimmed = name.trim();
    if (!trimmed || trimmed === this._run?.name) {
      return Promise.resolve();
    }
    return this._update({ name: trimmed });
  }

  saveNotes(notes: string): Promise<void> {
    if (notes === this._run?.notes) {
      return Promise.resolve();
    }
    return this._update({ notes });
  }

  addTag(tag: string): Promise<void> {
    const trimmed = tag.trim();
    const tags = this._run?.tags ?? [];
    if (!trimmed || tags.includes(trimmed)) {
      return Promise.resolve();
    }
    return this._update({ tags: [...tags, trimmed] });
  }

  removeTag(tag: string): Promise<void> {
    const tags = this._run?.tags ?? [];
    return this._update({ tags: tags.filter(t => t !== tag) });
  }

  setArchived(archived: boolean): Promise<void> {
    return this._update({ archived });
  }

  /**
   * Delete the run for good; `deleted` fires when the server confirmed.
   */
  async delete(): Promise<void> {
    this._isSaving = true;
    this._emit();
    try {
      await this._api.deleteRun(this._id);
      this._saveError = null;
      this._deleted.emit(this._id);
    } catch (reason) {
      this._saveError = asPlatformError(reason, `runs/${this._id}`);
    } finally {
      this._isSaving = false;
      this._emit();
    }
  }

  async loadMoreArtifacts(): Promise<void> {
    if (this._artifactsCursor === null) {
      return;
    }
    await this._loadArtifacts(this._artifactsCursor);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * Fetch the run, then its series; artifacts on a full load or when their
   * count changed. Rethrows so that the live poll backs off.
   */
  private async _load(full: boolean): Promise<void> {
    this._isLoading = true;
    this._emit();
    try {
      const run = await this._api.getRun(this._id);
      if (this.isDisposed) {
        return;
      }
      const artifactsChanged = this._run?.artifacts !== run.artifacts;
      this._run = run;
      this._error = null;
      this._emit();
      await Promise.all([
        this._loadSeries(run.metrics.map(metric => metric.key)),
        full || artifactsChanged ? this._loadArtifacts(null) : null,
        full || artifactsChanged ? this._loadModels() : null
      ]);
      this._lastUpdated = new Date();
    } catch (reason) {
      this._error = asPlatformError(reason, `runs/${this._id}`);
      throw this._error;
    } finally {
      this._isLoading = false;
      this._emit();
    }
  }

  private async _loadSeries(keys: string[]): Promise<void> {
    const points = this._points;
    await Promise.all(
      keys.map(async key => {
        try {
          const series = await this._api.getMetric(this._id, key, points);
          this._series.set(key, series);
          this._seriesErrors.delete(key);
        } catch (reason) {
          this._seriesErrors.set(
            key,
            asPlatformError(reason, `runs/${this._id}/metrics/${key}`)
          );
        }
      })
    );
    for (const key of [...this._series.keys()]) {
      if (!keys.includes(key)) {
        this._series.delete(key);
      }
    }
    this._emit();
  }

  private async _loadArtifacts(cursor: string | null): Promise<void> {
    try {
      const page = await this._api.listArtifacts(this._id, cursor);
      this._artifacts =
        cursor === null
          ? page.items
          : [...(this._artifacts ?? []), ...page.items];
      this._artifactsCursor = page.next_cursor;
      this._artifactsError = null;
    } catch (reason) {
      this._artifactsError = asPlatformError(
        reason,
        `runs/${this._id}/artifacts`
      );
    }
    this._emit();
  }

  /**
   * A model is kept as artifacts, so the list changes with them. Without
   * it the Publish button is not offered: nothing else depends on it.
   */
  private async _loadModels(): Promise<void> {
    try {
      this._models = await this._api.runModels(this._id);
    } catch {
      this._models = [];
    }
    this._emit();
  }

  private async _update(patch: IRunPatch): Promise<void> {
    this._isSaving = true;
    this._emit();
    try {
      const run = await this._api.updateRun(this._id, patch);
      if (this._run !== null) {
        this._run = { ...this._run, ...run };
      }
      this._saveError = null;
      this._runUpdated.emit(run);
    } catch (reason) {
      this._saveError = asPlatformError(reason, `runs/${this._id}`);
    } finally {
      this._isSaving = false;
      this._emit();
    }
  }

  private _emit(): void {
    if (!this.isDisposed) {
      this._changed.emit();
    }
  }

  private _api: ITrackingAPI;
  private _artifacts: IArtifact[] | null = null;
  private _artifactsCursor: string | null = null;
  private _artifactsError: PlatformAPIError | null = null;
  private _changed = new Signal<this, void>(this);
  private _deleted = new Signal<this, string>(this);
  private _error: PlatformAPIError | null = null;
  private _id: string;
  private _isActive = false;
  private _isDisposed = false;
  private _isLoading = false;
  private _isSaving = false;
  private _lastUpdated: Date | null = null;
  private _models: string[] = [];
  private _points = DEFAULT_POINTS;
  private _poll: Poll;
  private _run: IRunDetail | null = null;
  private _runUpdated = new Signal<this, IRun>(this);
  private _saveError: PlatformAPIError | null = null;
  private _series = new Map<string, IMetricSeries>();
  private _seriesErrors = new Map<string, PlatformAPIError>();
}

export namespace RunModel {
  export interface IOptions {
    api: ITrackingAPI;
    /**
     * The run's id.
     */
    id: string;
  }
}
