/**
 * The shapes the lab side shares: what the platform API returns, and the
 * model the Deep Learning sidebar renders.
 *
 * The response interfaces mirror `GET /dl/api/info` in the server extension
 * (`extensions/jupyter_dl`); keep the two in step.
 */
import { ISignal } from '@lumino/signaling';

import type { PlatformAPIError } from './handler';

/**
 * The platform store: where runs, datasets and models are recorded.
 */
export interface IStoreInfo {
  /**
   * The SQLAlchemy URL of the store, with any password masked by the server.
   */
  url: string;
  /**
   * The database backend, e.g. `sqlite` or `postgresql`.
   */
  backend: string;
  /**
   * A human-readable location: a file path for SQLite, host and database otherwise.
   */
  location: string;
  /**
   * The schema (migration) revision the store is at, `null` before the first migration.
   */
  revision: string | null;
  /**
   * Whether the store is usable: `false` while migrations run, or, with
   * `error` set, when the store cannot be used at all.
   */
  ready: boolean;
  /**
   * Why the store cannot be used, naming the setting to change.
   */
  error?: string;
  /**
   * Identifies the store: equal ids mean a shared store.
   */
  id?: string | null;
  /**
   * When the store was created (ISO 8601).
   */
  created_at?: string | null;
}

/**
 * One GPU visible to the Jupyter server.
 */
export interface IGpuInfo {
  index: number;
  uuid: string;
  name: string;
  /**
   * Total device memory in bytes.
   */
  memory_total: number;
  /**
   * Device memory in use, in bytes.
   */
  memory_used: number;
}

/**
 * The response of `GET /dl/api/info`.
 */
export interface IPlatformInfo {
  /**
   * The `jupyter-dl` version the server runs.
   */
  version: string;
  store: IStoreInfo;
  gpus: IGpuInfo[];
  /**
   * The NVIDIA driver version, `null` without a driver.
   */
  cuda_driver: string | null;
  /**
   * The PyTorch version importable by the server, `null` when not installed.
   */
  torch: string | null;
  python: string;
  host: string;
  /**
   * Which host serves the platform API, e.g. `server` for the user's own
   * Jupyter server; absent from servers that do not report it.
   */
  mode?: string;
  /**
   * The team's platform service this server uses, `null` (or absent) when its
   * own store holds everything.
   */
  team?: { url: string } | null;
}

/**
 * The body of every error response of the platform API.
 */
export interface IErrorBody {
  error: {
    code: string;
    message: string;
  };
}

/**
 * The live view of the platform that the sidebar renders.
 */
export interface IPlatformInfoModel {
  /**
   * The last platform facts received, kept while a later refresh fails.
   */
  readonly info: IPlatformInfo | null;
  /**
   * The error of the last refresh, `null` once a refresh succeeds.
   */
  readonly error: PlatformAPIError | null;
  /**
   * Whether a request is in flight.
   */
  readonly isLoading: boolean;
  /**
   * When the last successful response arrived.
   */
  readonly lastUpdated: Date | null;
  /**
   * Whether anyone is looking: polling only runs while active.
   */
  isActive: boolean;
  /**
   * Emitted whenever any of the above changes.
   */
  readonly changed: ISignal<IPlatformInfoModel, void>;
  /**
   * Fetch now; resolves once the request settled (never rejects).
   */
  refresh(): Promise<void>;
}

/**
 * Command ids of the extension.
 */
export namespace CommandIDs {
  export const openSidebar = 'jupyter-dl:open-sidebar';
  /**
   * Refresh the platform panel in the main area, else the sidebar.
   */
  export const refresh = 'jupyter-dl:refresh';
}

/**
 * The class every main-area panel of the platform carries.
 */
export const PANEL_CLASS = 'jp-DLPanelShell';

/**
 * A panel that can load what it shows again.
 */
export interface IRefreshable {
  refresh(): void;
}

/**
 * The id of the Deep Learning sidebar in the shell and the layout restorer.
 */
export const SIDEBAR_ID = 'jupyter-dl:sidebar';

/**
 * Any JSON value, as found in a run's config and summary.
 */
export type JSONValue =
  string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

/**
 * One page of any list of the platform API.
 */
export interface IPage<T> {
  items: T[];
  /**
   * Pass as `cursor` to get the next page; `null` on the last page.
   */
  next_cursor: string | null;
}
