/**
 * One rank's log, followed: the tail is read first, then each new chunk is
 * appended from the byte the last one ended at, until the server says the
 * job has ended and everything was read. A long log keeps only its last
 * part in the page, so following a chatty job for hours stays light.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { asPlatformError } from '../shared/errors';
import { ITrainingAPI } from './api';

/**
 * How much of an existing log is shown when the viewer opens, in bytes.
 */
export const TAIL_BYTES = 256 * 1024;

/**
 * How much is read at once while catching up, in bytes.
 */
const CHUNK_BYTES = 512 * 1024;

/**
 * The most text kept in the page; older lines are dropped beyond it.
 */
const MAX_CHARS = 2 * 1024 * 1024;

/**
 * How often a live log is asked for more, in milliseconds.
 */
const FOLLOW_INTERVAL_MS = 1000;

/**
 * Chunks read one after another in one tick while the log is far ahead.
 */
const MAX_CHUNKS_PER_TICK = 8;

export class LogModel {
  constructor(options: LogModel.IOptions) {
    this._api = options.api;
    this.job = options.job;
    this.rank = options.rank;
    this._poll = new Poll({
      auto: false,
      factory: () => this._read(),
      frequency: {
        interval: options.interval ?? FOLLOW_INTERVAL_MS,
        backoff: true,
        max: 30 * 1000
      },
      name: 'jupyter-dl:training-log',
      standby: () => !this._isActive || 'when-hidden'
    });
  }

  readonly job: string;
  readonly rank: number;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The text on show: the end of the log, up to `MAX_CHARS`.
   */
  get text(): string {
    return this._text;
  }

  /**
   * Bytes at the start of the log that are not on show.
   */
  get skippedBytes(): number {
    return this._skipped;
  }

  /**
   * The log's size in bytes, as last read.
   */
  get size(): number {
    return this._size;
  }

  /**
   * Whether the job ended and the whole log was read.
   */
  get done(): boolean {
    return this._done;
  }

  /**
   * Whether new output is being waited for.
   */
  get isFollowing(): boolean {
    return !this._done && this._error === null && this._started;
  }

  /**
   * Whether the first read is still under way.
   */
  get isLoading(): boolean {
    return !this._started && this._error === null;
  }

  get error(): PlatformAPIError | null {
    return this._error;
  }

  get isActive(): boolean {
    return this._isActive;
  }

  /**
   * Whether anyone is looking: the log is read only while active.
   */
  set isActive(value: boolean) {
    if (value === this._isActive || this._isDisposed) {
      return;
    }
    this._isActive = value;
    if (!this._done) {
      // Starting reads at once.
      void (value ? this._poll.start() : this._poll.stop());
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Read again now (after an error, or when the job is known to have ended).
   */
  async refresh(): Promise<void> {
    if (this._done || this._isDisposed) {
      return;
    }
    this._error = null;
    this._emit();
    await this._poll.refresh();
    await this._poll.tick.catch(() => undefined);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * One tick: the tail on the first, then what was appended since.
   */
  private async _read(): Promise<void> {
    if (this._done || this._reading) {
      return;
    }
    this._reading = true;
    try {
      if (!this._started) {
        await this._readTail();
      }
      for (let i = 0; i < MAX_CHUNKS_PER_TICK && !this._done; i++) {
        const chunk = await this._api.readLog(
          this.job,
          this.rank,
          this._offset,
          CHUNK_BYTES
        );
        if (this._isDisposed) {
          return;
        }
        this._take(chunk.text, chunk.next_offset, chunk.size);
        this._done = chunk.done;
        if (chunk.next_offset >= chunk.size) {
          break;
        }
      }
      this._error = null;
    } catch (reason) {
      if (!this._isDisposed) {
        this._error = asPlatformError(reason, `jobs/${this.job}/logs`);
        this._started = true;
        this._emit();
      }
      throw reason;
    } finally {
      this._reading = false;
    }
    this._emit();
    if (this._done) {
      void this._poll.stop();
    }
  }

  /**
   * Start at most `TAIL_BYTES` before the end, at the start of a line.
   */
  private async _readTail(): Promise<void> {
    const first = await this._api.readLog(this.job, this.rank, 0, TAIL_BYTES);
    if (first.size <= TAIL_BYTES || first.next_offset >= first.size) {
      this._take(first.text, first.next_offset, first.size);
      this._done = first.done;
      this._started = true;
      return;
    }
    const start = first.size - TAIL_BYTES;
    const tail = await this._api.readLog(
      this.job,
      this.rank,
      start,
      TAIL_BYTES
    );
    const newline = tail.text.indexOf('\n');
    const text = newline >= 0 ? tail.text.slice(newline + 1) : tail.text;
    this._skipped = start + (tail.text.length - text.length);
    this._take(text, tail.next_offset, tail.size);
    this._done = tail.done;
    this._started = true;
  }

  private _take(text: string, next: number, size: number): void {
    this._offset = next;
    this._size = Math.max(size, next);
    if (!text) {
      return;
    }
    let all = this._text + text;
    if (all.length > MAX_CHARS) {
      // Drop whole lines from the start; characters stand in for bytes.
      const cut = all.indexOf('\n', all.length - MAX_CHARS);
      const drop = cut >= 0 ? cut + 1 : all.length - MAX_CHARS;
      this._skipped += drop;
      all = all.slice(drop);
    }
    this._text = all;
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _api: ITrainingAPI;
  private _changed = new Signal<this, void>(this);
  private _done = false;
  private _error: PlatformAPIError | null = null;
  private _isActive = false;
  private _isDisposed = false;
  private _offset = 0;
  private _poll: Poll;
  private _reading = false;
  private _size = 0;
  private _skipped = 0;
  private _started = false;
  private _text = '';
}

export namespace LogModel {
  export interface IOptions {
    api: ITrainingAPI;
    job: string;
    rank: number;
    /**
     * Milliseconds between reads while following.
     */
    interval?: number;
  }
}
