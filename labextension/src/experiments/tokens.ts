/**
 * The shapes the Experiments panel shares: what the tracking API returns
 * (`/dl/api/projects`, `/dl/api/runs`, `/dl/api/compare`, ...) and the ids
 * of the panel's commands.
 *
 * The response interfaces mirror the tracking handlers of the server
 * extension (`extensions/jupyter_dl/tracking`); keep the two in step.
 */
import type { IPage, JSONValue } from '../tokens';

export type { IPage, JSONValue };

/**
 * A metric value as the server sends it: a number, or one of the strings
 * JSON cannot carry as numbers.
 */
export type MetricValue = number | 'NaN' | 'Infinity' | '-Infinity';

export type RunStatus =
  'running' | 'finished' | 'failed' | 'crashed' | 'killed';

/**
 * A project: a named group of runs.
 */
export interface IProject {
  name: string;
  /**
   * How many runs the project holds.
   */
  runs: number;
  created_at: string;
  last_run_at: string | null;
}

/**
 * A page of runs, with how many match the query in all when asked for.
 */
export interface IRunsPage extends IPage<IRun> {
  total?: number | null;
}

/**
 * Where and with what a run ran, captured when it started: host, user,
 * platform, `python` (a version, or `{version, implementation, executable}`),
 * `torch` (a version, or `{version, cuda}`), `cuda` / `cuda_driver`, `gpus`,
 * `git` (`{commit, branch, remote, dirty}`), `notebook` (a path, or `{path}`),
 * `script`, `cwd`, `argv`. Every field is optional; the panel shows what is there.
 */
export type RunSystem = Record<string, JSONValue>;

/**
 * A tracked run.
 */
export interface IRun {
  /**
   * A short hexadecimal id, unique in the store.
   */
  id: string;
  project: string;
  name: string;
  status: RunStatus;
  created_at: string;
  ended_at: string | null;
  heartbeat_at: string | null;
  /**
   * Seconds from start to end (or to now, while running).
   */
  duration: number | null;
  config: Record<string, JSONValue>;
  summary: Record<string, JSONValue>;
  tags: string[];
  notes: string;
  archived: boolean;
  owner: string;
  host: string;
  system?: RunSystem;
}

/**
 * What the store knows about one metric key of a run.
 */
export interface IMetricInfo {
  key: string;
  /**
   * How many points were logged.
   */
  count: number;
  last: MetricValue | null;
  min: MetricValue | null;
  max: MetricValue | null;
  last_step: number | null;
}

/**
 * The response of `GET /dl/api/runs/{id}`.
 */
export interface IRunDetail extends IRun {
  metrics: IMetricInfo[];
  /**
   * How many artifacts the run has.
   */
  artifacts: number;
}

/**
 * The response of `GET /dl/api/runs/columns`: the keys a project's runs use.
 */
export interface IRunColumns {
  config: string[];
  summary: string[];
}

/**
 * Steps and values of one metric, in step order.
 */
export interface ISeries {
  steps: number[];
  values: MetricValue[];
}

/**
 * The response of `GET /dl/api/runs/{id}/metrics/{key}`.
 */
export interface IMetricSeries extends ISeries {
  key: string;
  /**
   * Unix seconds at which each point was logged.
   */
  times: number[];
  /**
   * How many points the metric has in all (before downsampling).
   */
  total: number;
  downsampled: boolean;
}

/**
 * A run as the compare endpoint describes it.
 */
export interface ICompareRun {
  id: string;
  name: string;
  project: string;
  status: RunStatus;
  config: Record<string, JSONValue>;
  summary: Record<string, JSONValue>;
}

/**
 * The response of `GET /dl/api/compare`.
 */
export interface ICompareResult {
  runs: ICompareRun[];
  /**
   * Metric key → run id → series.
   */
  series: Record<string, Record<string, ISeries>>;
}

/**
 * A file stored with a run.
 */
export interface IArtifact {
  /**
   * The path of the artifact within the run, may contain `/`.
   */
  name: string;
  size: number;
  sha256: string;
  created_at: string;
}

/**
 * Which runs the table lists, in which order; the export link uses the same.
 */
export interface IRunQuery {
  project: string;
  /**
   * A substring of the run name.
   */
  q: string;
  /**
   * Filter expressions, e.g. `config.lr>=0.01`, `status=finished`, `tag=baseline`.
   */
  filters: string[];
  /**
   * `created_at`, `name`, `status`, `duration`, `config.<key>` or `summary.<key>`.
   */
  sort: string;
  order: 'asc' | 'desc';
  archived: 'false' | 'true' | 'all';
}

/**
 * The fields of a run that can be changed.
 */
export interface IRunPatch {
  name?: string;
  tags?: string[];
  notes?: string;
  archived?: boolean;
}

/**
 * Command ids of the Experiments panel.
 */
export namespace ExperimentsCommandIDs {
  export const open = 'jupyter-dl:open-experiments';
  /**
   * Open one run (args `{id, project?}`) in the Experiments panel.
   */
  export const openRun = 'jupyter-dl:open-run';
}

/**
 * The id of the Experiments panel in the shell and the layout restorer.
 */
export const EXPERIMENTS_ID = 'jupyter-dl:experiments';
