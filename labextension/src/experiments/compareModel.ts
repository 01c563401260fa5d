/**
 * The state behind comparing runs: the union of their metric keys, one set
 * of overlaid series per key, and which parameter and metric the
 * params-vs-metric plots use. Refreshes every two seconds while one of the
 * runs is running.
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
import { columnValue, flatten, plotNumber } from '../shared/format';
import { ICompareResult, ICompareRun } from './tokens';

/**
 * Parameters a parallel-coordinates plot starts with.
 */
const DEFAULT_PARALLEL_PARAMS = 6;

export type ParamsPlotKind = 'scatter' | 'parallel';

export class CompareModel {
  constructor(options: CompareModel.IOptions) {
    this._api = options.api;
    this._ids = [...options.runs];
    this._poll = new Poll({
      auto: false,
      factory: () => this._load(),
      frequency: {
        interval: LIVE_INTERVAL_MS,
        backoff: true,
        max: LIVE_MAX_INTERVAL_MS
      },
      name: 'jupyter-dl:experiments-compare',
      standby: () =>
        !this._isActive ||
        !this.runs.some(run => run.status === 'running') ||
        'when-hidden'
    });
    void this._poll.start();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The ids of the compared runs, in the order they were chosen.
   */
  get ids(): string[] {
    return this._ids;
  }

  /**
   * The compared runs as the server describes them, in the order of `ids`;
   * the same array until the next load.
   */
  get runs(): ICompareRun[] {
    return this._runs;
  }

  get result(): ICompareResult | null {
    return this._result;
  }

  /**
   * Every metric key any of the runs logged, as the server orders them.
   */
  get metricKeys(): string[] {
    return this._keys;
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

  get points(): number {
    return this._points;
  }

  set points(width: number) {
    const points = pointsForWidth(width);
    if (points === this._points) {
      return;
    }
    this._points = points;
    if (this._result !== null) {
      void this.refresh();
    }
  }

  /**
   * Config keys of the compared runs, those whose values differ first.
   */
  get paramKeys(): string[] {
    return keysOf(this.runs, 'config');
  }

  /**
   * Summary keys of the compared runs, those whose values differ first.
   */
  get summaryKeys(): string[] {
    return keysOf(this.runs, 'summary');
  }

  get plotKind(): ParamsPlotKind {
    return this._plotKind;
  }

  set plotKind(kind: ParamsPlotKind) {
    this._plotKind = kind;
    this._emit();
  }

  /**
   * The config key on the scatter plot's x axis.
   */
  get paramKey(): string | null {
    const keys = this.paramKeys;
    return this._paramKey !== null && keys.includes(this._paramKey)
      ? this._paramKey
      : (keys.find(key => this._isNumeric('config', key)) ?? keys[0] ?? null);
  }

  set paramKey(key: string | null) {
    this._paramKey = key;
    this._emit();
  }

  /**
   * The summary key on the y axis of both plots.
   */
  get metricKey(): string | null {
    const keys = this.summaryKeys;
    return this._metricKey !== null && keys.includes(this._metricKey)
      ? this._metricKey
      : (keys.find(key => this._isNumeric('summary', key)) ?? keys[0] ?? null);
  }

  set metricKey(key: string | null) {
    this._metricKey = key;
    this._emit();
  }

  /**
   * The config keys the parallel-coordinates plot shows, in order.
   */
  get parallelParams(): string[] {
    const keys = this.paramKeys;
    return this._parallelParams !== null
      ? this._parallelParams.filter(key => keys.includes(key))
      : keys.slice(0, DEFAULT_PARALLEL_PARAMS);
  }

  toggleParallelParam(key: string): void {
    const current = this.parallelParams;
    this._parallelParams = current.includes(key)
      ? current.filter(k => k !== key)
      : this.paramKeys.filter(k => k === key || current.includes(k));
    this._emit();
  }

  get isActive(): boolean {
    return this._isActive;
  }

  set isActive(value: boolean) {
    if (value === this._isActive || this.isDisposed) {
      return;
    }
    this._isActive = value;
    if (value && this.runs.some(run => run.status === 'running')) {
      void this._poll.refresh();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  async refresh(): Promise<void> {
    try {
      await this._load();
    } catch {
      // Recorded on `error`.
    }
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
   * Every metric of every run in one request (no keys asks for all of them).
   * Rethrows so that the live poll backs off.
   */
  private async _load(): Promise<void> {
    this._isLoading = true;
    this._emit();
    try {
      const result = await this._api.compare(this._ids, [], this._points);
      if (this.isDisposed) {
        return;
      }
      const byId = new Map(result.runs.map(run => [run.id, run]));
      this._keys = Object.keys(result.series);
      this._result = result;
      this._runs = this._ids
        .map(id => byId.get(id))
        .filter((run): run is ICompareRun => run !== undefined);
      this._error = null;
      this._lastUpdated = new Date();
    } catch (reason) {
      this._error = asPlatformError(reason, 'compare');
      throw this._error;
    } finally {
      this._isLoading = false;
      this._emit();
    }
  }

  private _isNumeric(group: 'config' | 'summary', key: string): boolean {
    return this.runs.some(
      run => plotNumber(columnValue(run, `${group}.${key}`)) !== null
    );
  }

  private _emit(): void {
    if (!this.isDisposed) {
      this._changed.emit();
    }
  }

  private _api: ITrackingAPI;
  private _changed = new Signal<this, void>(this);
  private _error: PlatformAPIError | null = null;
  private _ids: string[];
  private _isActive = false;
  private _isDisposed = false;
  private _isLoading = false;
  private _keys: string[] = [];
  private _lastUpdated: Date | null = null;
  private _metricKey: string | null = null;
  private _paramKey: string | null = null;
  private _parallelParams: string[] | null = null;
  private _plotKind: ParamsPlotKind = 'scatter';
  private _points = DEFAULT_POINTS;
  private _poll: Poll;
  private _result: ICompareResult | null = null;
  private _runs: ICompareRun[] = [];
}

export namespace CompareModel {
  export interface IOptions {
    api: ITrackingAPI;
    /**
     * The ids of the runs to compare.
     */
    runs: string[];
  }
}

/**
 * The keys of one group over several runs, nested values as dotted keys:
 * keys whose values differ between runs first (they are what a comparison is
 * about), each part in first-seen order.
 */
function keysOf(runs: ICompareRun[], group: 'config' | 'summary'): string[] {
  const keys: string[] = [];
  for (const run of runs) {
    for (const [key] of flatten(run[group])) {
      if (!keys.includes(key)) {
        keys.push(key);
      }
    }
  }
  const differs = (key: string): boolean => {
    const values = new Set(
      runs.map(run => JSON.stringify(columnValue(run, `${group}.${key}`)))
    );
    return values.size > 1;
  };
  return [...keys.filter(differs), ...keys.filter(key => !differs(key))];
}
