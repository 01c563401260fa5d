/**
 * The user's quota, kept current: read when the lab starts and then every
 * minute (the hub's checks run about as often), paused while the page is
 * hidden. Views listen to `changed`.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { fetchMyQuota, IQuotaStatus, QuotaError } from './api';

/**
 * Seconds between two reads of the quota.
 */
const INTERVAL_MS = 60_000;

export class QuotaModel {
  /**
   * @param pageUrl The quota page, which the status bar item opens.
   */
  constructor(readonly pageUrl: string) {
    this._poll = new Poll({
      auto: true,
      factory: () => this.refresh(),
      frequency: {
        interval: INTERVAL_MS,
        backoff: true,
        max: 10 * INTERVAL_MS
      },
      name: 'jupyter-dl:quota',
      standby: 'when-hidden'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The last quota read, `null` before the first.
   */
  get status(): IQuotaStatus | null {
    return this._status;
  }

  /**
   * Why the last read failed, `null` when it worked.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * Read the quota now.
   */
  async refresh(): Promise<void> {
    try {
      this._status = await fetchMyQuota();
      this._error = null;
    } catch (reason) {
      this._error =
        reason instanceof QuotaError ? reason.message : String(reason);
    }
    this._changed.emit();
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _changed = new Signal<this, void>(this);
  private _error: string | null = null;
  private _poll: Poll;
  private _status: IQuotaStatus | null = null;
}
