/**
 * The state behind the Deep Learning sidebar: the last platform facts, the
 * last error, and whether a request is in flight. The model owns all fetching
 * and polling; views only listen to `changed`.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError, requestAPI } from './handler';
import { IPlatformInfo, IPlatformInfoModel } from './tokens';

/**
 * How often the sidebar refreshes while it is visible.
 */
const POLL_INTERVAL_MS = 10 * 1000;

/**
 * The longest wait between retries while the server keeps failing.
 */
const POLL_MAX_INTERVAL_MS = 5 * 60 * 1000;

/**
 * Platform facts from `GET /dl/api/info`, refreshed while someone looks.
 */
export class PlatformInfoModel implements IPlatformInfoModel {
  constructor(options: PlatformInfoModel.IOptions = {}) {
    this._fetchInfo = options.fetchInfo ?? (() => requestAPI('info'));
    this._poll = new Poll<IPlatformInfo, PlatformAPIError>({
      auto: false,
      factory: () => this._fetch(),
      frequency: {
        interval: options.interval ?? POLL_INTERVAL_MS,
        backoff: true,
        max: POLL_MAX_INTERVAL_MS
      },
      name: 'jupyter-dl:platform-info',
      // Hidden sidebars and background browser tabs do not poll.
      standby: () => !this._isActive || 'when-hidden'
    });
  }

  get info(): IPlatformInfo | null {
    return this._info;
  }

  get error(): PlatformAPIError | null {
    return this._error;
  }

  get isLoading(): boolean {
    return this._isLoading;
  }

  get lastUpdated(): Date | null {
    return this._lastUpdated;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isActive(): boolean {
    return this._isActive;
  }

  /**
   * Becoming active fetches at once, so a sidebar never opens on stale facts.
   */
  set isActive(value: boolean) {
    if (value === this._isActive || this.isDisposed) {
      return;
    }
    this._isActive = value;
    if (value) {
      void this.refresh();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  async refresh(): Promise<void> {
    if (this.isDisposed) {
      return;
    }
    await this._poll.refresh();
    // `tick` settles once the refreshed request settles; errors are on `error`.
    await this._poll.tick.catch(() => undefined);
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
   * One request, recording its outcome. Rethrows so the poll backs off.
   */
  private async _fetch(): Promise<IPlatformInfo> {
    this._isLoading = true;
    this._changed.emit();
    try {
      const info = await this._fetchInfo();
      this._info = info;
      this._error = null;
      this._lastUpdated = new Date();
      return info;
    } catch (reason) {
      this._error =
        reason instanceof PlatformAPIError
          ? reason
          : new PlatformAPIError({
              code: 'unexpected_error',
              message: String((reason as Error)?.message ?? reason),
              url: 'info'
            });
      throw this._error;
    } finally {
      this._isLoading = false;
      if (!this.isDisposed) {
        this._changed.emit();
      }
    }
  }

  private _changed = new Signal<this, void>(this);
  private _error: PlatformAPIError | null = null;
  private _fetchInfo: () => Promise<IPlatformInfo>;
  private _info: IPlatformInfo | null = null;
  private _isActive = false;
  private _isDisposed = false;
  private _isLoading = false;
  private _lastUpdated: Date | null = null;
  private _poll: Poll<IPlatformInfo, PlatformAPIError>;
}

export namespace PlatformInfoModel {
  export interface IOptions {
    /**
     * Where the facts come from; `GET /dl/api/info` on this server by default.
     */
    fetchInfo?: () => Promise<IPlatformInfo>;
    /**
     * Milliseconds between refreshes while active.
     */
    interval?: number;
  }
}
