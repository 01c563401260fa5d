/**
 * The launch form's state: the fields as typed, the backends and GPUs that
 * bound them, and the launch itself. The server checks everything; its
 * message is shown under the field it is about.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { asPlatformError } from '../shared/errors';
import { JSONValue } from '../tokens';
import { ITrainingAPI } from './api';
import { IBackend, IJob, INewJob } from './tokens';

/**
 * The fields of the form, as typed.
 */
export interface ILaunchFields {
  /**
   * A `.py` or `.ipynb` relative to the server's root folder.
   */
  path: string;
  /**
   * The script's command line, split like a shell does.
   */
  args: string;
  /**
   * Processes; empty is `auto`.
   */
  nproc: string;
  /**
   * GPUs; empty is one per process when the server has GPUs.
   */
  gpus: string;
  backend: string;
  name: string;
  maxRestarts: string;
  /**
   * `KEY=VALUE` lines, the backend's settings.
   */
  options: string;
}

export type LaunchField = keyof ILaunchFields;

/**
 * Which field a message of the server is about, by how it starts.
 */
const FIELD_OF_MESSAGE: [RegExp, LaunchField][] = [
  [
    /^(no (script|notebook) at|a (script|notebook) job runs|(script|notebook)\b|name exactly one)/i,
    'path'
  ],
  [/^args\b/i, 'args'],
  [/^nproc\b/i, 'nproc'],
  [/^gpus\b/i, 'gpus'],
  [/^unknown backend\b/i, 'backend'],
  [/\bjob name\b/i, 'name'],
  [/^max_restarts\b/i, 'maxRestarts'],
  [/\boptions?\b/i, 'options']
];

/**
 * The field a server message is about, `null` when it names none.
 */
export function fieldOfMessage(message: string): LaunchField | null {
  for (const [pattern, field] of FIELD_OF_MESSAGE) {
    if (pattern.test(message)) {
      return field;
    }
  }
  return null;
}

/**
 * Split a command line into arguments as a POSIX shell would: whitespace
 * separates, quotes group, a backslash escapes (not inside single quotes).
 */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") {
        quote = null;
      } else {
        current += c;
      }
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (quote === '"') {
      if (c === '"') {
        quote = null;
      } else {
        current += c;
      }
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) {
        args.push(current);
        current = '';
        inWord = false;
      }
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote !== null) {
    throw new Error(`an opening ${quote} has no closing one`);
  }
  if (inWord) {
    args.push(current);
  }
  return args;
}

/**
 * `KEY=VALUE` lines as a mapping; a value that reads as JSON (a number, a
 * boolean, a list) is that, anything else a string — as `--option` reads
 * them in `%dl_train`.
 */
export function parseOptions(text: string): Record<string, JSONValue> {
  const options: Record<string, JSONValue> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) {
      continue;
    }
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!key) {
      throw new Error(`write each option as KEY=VALUE, not ${line}`);
    }
    const value = line.slice(eq + 1).trim();
    try {
      options[key] = JSON.parse(value) as JSONValue;
    } catch {
      options[key] = value;
    }
  }
  return options;
}

/**
 * A whole number typed in a field, or the text itself when it is not one,
 * so that the server names the bad value.
 */
function numberField(text: string): number | string {
  const trimmed = text.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

export class LaunchModel {
  constructor(options: LaunchModel.IOptions) {
    this._api = options.api;
    this._fields = {
      path: options.path ?? '',
      args: '',
      nproc: '',
      gpus: '',
      backend: 'local',
      name: '',
      maxRestarts: '0',
      options: ''
    };
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with the job once it launched.
   */
  get launched(): ISignal<this, IJob> {
    return this._launched;
  }

  get fields(): Readonly<ILaunchFields> {
    return this._fields;
  }

  /**
   * Whether the file is a notebook (its code cells run in order).
   */
  get isNotebook(): boolean {
    return this._fields.path.trim().toLowerCase().endsWith('.ipynb');
  }

  get backends(): IBackend[] {
    return this._backends;
  }

  /**
   * How many GPUs the server sees, `null` until known.
   */
  get gpuCount(): number | null {
    return this._gpuCount;
  }

  get isLaunching(): boolean {
    return this._isLaunching;
  }

  /**
   * Messages by field, from the last launch.
   */
  get fieldErrors(): Partial<Record<LaunchField, string>> {
    return this._fieldErrors;
  }

  /**
   * A failure of the last launch that is about no one field.
   */
  get error(): PlatformAPIError | null {
    return this._error;
  }

  /**
   * Why the backends or GPUs could not be read.
   */
  get setupError(): PlatformAPIError | null {
    return this._setupError;
  }

  /**
   * Read the backends and the server's GPUs.
   */
  async start(): Promise<void> {
    try {
      const [backends, info] = await Promise.all([
        this._api.backends(),
        this._api.info()
      ]);
      this._backends = backends;
      this._gpuCount = info.gpus.length;
      if (
        backends.length > 0 &&
        !backends.some(b => b.name === this._fields.backend)
      ) {
        this._fields = { ...this._fields, backend: backends[0].name };
      }
      this._setupError = null;
    } catch (reason) {
      this._setupError = asPlatformError(reason, 'jobs/backends');
    }
    this._emit();
  }

  /**
   * Change one field; its message from the last launch goes away.
   */
  set(field: LaunchField, value: string): void {
    this._fields = { ...this._fields, [field]: value };
    if (this._fieldErrors[field]) {
      const rest = { ...this._fieldErrors };
      delete rest[field];
      this._fieldErrors = rest;
    }
    this._emit();
  }

  /**
   * The request the fields make; throws naming the field that cannot be read.
   */
  request(): INewJob {
    const f = this._fields;
    const path = f.path.trim();
    const job: INewJob = this.isNotebook
      ? { notebook: path }
      : { script: path };
    try {
      job.args = splitArgs(f.args);
    } catch (reason) {
      throw new LaunchModel.FieldError('args', (reason as Error).message);
    }
    if (f.nproc.trim()) {
      job.nproc = numberField(f.nproc) as number;
    }
    if (f.gpus.trim()) {
      job.gpus = numberField(f.gpus) as number;
    }
    job.backend = f.backend;
    if (f.name.trim()) {
      job.name = f.name.trim();
    }
    job.max_restarts = numberField(f.maxRestarts || '0') as number;
    try {
      const options = parseOptions(f.options);
      if (Object.keys(options).length > 0) {
        job.options = options;
      }
    } catch (reason) {
      throw new LaunchModel.FieldError('options', (reason as Error).message);
    }
    return job;
  }

  /**
   * Launch the job; resolves with it, or `null` when it was refused (the
   * reasons are then on `fieldErrors` and `error`).
   */
  async launch(): Promise<IJob | null> {
    if (this._isLaunching) {
      return null;
    }
    this._fieldErrors = {};
    this._error = null;
    let request: INewJob;
    try {
      request = this.request();
    } catch (reason) {
      if (reason instanceof LaunchModel.FieldError) {
        this._fieldErrors = { [reason.field]: reason.message };
        this._emit();
        return null;
      }
      throw reason;
    }
    this._isLaunching = true;
    this._emit();
    try {
      const job = await this._api.launch(request);
      this._launched.emit(job);
      return job;
    } catch (reason) {
      const error = asPlatformError(reason, 'jobs');
      const field = error.status === 400 ? fieldOfMessage(error.message) : null;
      if (field) {
        this._fieldErrors = { [field]: error.message };
      } else {
        this._error = error;
      }
      return null;
    } finally {
      this._isLaunching = false;
      this._emit();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _api: ITrainingAPI;
  private _backends: IBackend[] = [];
  private _changed = new Signal<this, void>(this);
  private _error: PlatformAPIError | null = null;
  private _fieldErrors: Partial<Record<LaunchField, string>> = {};
  private _fields: ILaunchFields;
  private _gpuCount: number | null = null;
  private _isDisposed = false;
  private _isLaunching = false;
  private _launched = new Signal<this, IJob>(this);
  private _setupError: PlatformAPIError | null = null;
}

export namespace LaunchModel {
  export interface IOptions {
    api: ITrainingAPI;
    /**
     * The file to prefill.
     */
    path?: string;
  }

  /**
   * A field the form cannot turn into a request.
   */
  export class FieldError extends Error {
    constructor(
      readonly field: LaunchField,
      message: string
    ) {
      super(message);
    }
  }
}
