/**
 * The shapes the Training panel shares: what the training API returns
 * (`/dl/api/jobs`, `/dl/api/jobs/{id}/logs`, `/dl/api/sweeps`, ...) and the
 * ids of the panel's commands.
 *
 * The response interfaces mirror the training handlers of the server
 * extension (`extensions/jupyter_dl/training`, `openapi.yaml`); keep the two
 * in step.
 */
import type { IPage, JSONValue } from '../tokens';

export type JobStatus =
  'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * What the jobs list can be narrowed to: one status, or `active` (queued
 * or running).
 */
export type JobFilter = '' | 'active' | JobStatus;

/**
 * A training job.
 */
export interface IJob {
  id: string;
  name: string;
  kind: 'function' | 'script' | 'notebook';
  backend: string;
  status: JobStatus;
  /**
   * Processes (ranks).
   */
  nproc: number;
  gpus: number;
  /**
   * The CUDA devices given to the job.
   */
  devices: string[];
  /**
   * What each rank runs, for people to read.
   */
  command: string[];
  workdir: string;
  max_restarts: number;
  /**
   * How often the ranks were restarted after a failure.
   */
  restarts: number;
  /**
   * One per rank of the last attempt once the job ended; negative for a
   * signal, `null` for a rank the launcher stopped.
   */
  exit_codes: (number | null)[];
  /**
   * Why the job failed: the first failing rank's traceback first.
   */
  error: string | null;
  /**
   * The tracked run rank 0 logs into.
   */
  run_id: string | null;
  owner: string | null;
  host: string;
  pid: number | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  /**
   * Seconds since the ranks started (until the job ended).
   */
  duration: number | null;
}

/**
 * The response of `GET /dl/api/jobs/{id}/logs`.
 */
export interface ILogChunk {
  job: string;
  rank: number;
  offset: number;
  /**
   * Where the next read starts.
   */
  next_offset: number;
  /**
   * The log's size in bytes when it was read.
   */
  size: number;
  text: string;
  /**
   * The job has ended and everything was read.
   */
  done: boolean;
}

/**
 * A backend jobs can run on.
 */
export interface IBackend {
  name: string;
  description: string;
}

/**
 * The body of `POST /dl/api/jobs`.
 */
export interface INewJob {
  script?: string;
  notebook?: string;
  args?: string[];
  nproc?: number | 'auto';
  gpus?: number | null;
  backend?: string;
  name?: string;
  max_restarts?: number;
  project?: string;
  options?: Record<string, JSONValue>;
}

export type SweepStatus = 'running' | 'finished' | 'failed' | 'cancelled';

export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';

/**
 * A value as the server sends it: a number, or one of the strings JSON
 * cannot carry as numbers.
 */
export type TrialValue = number | 'NaN' | 'Infinity' | '-Infinity';

/**
 * The best complete trial of a sweep.
 */
export interface IBestTrial {
  number: number;
  value: TrialValue | null;
  params: Record<string, JSONValue>;
  run_id: string | null;
}

/**
 * A hyperparameter sweep.
 */
export interface ISweep {
  id: string;
  name: string;
  project: string;
  owner: string | null;
  /**
   * The metric the sweep optimises, and in which direction.
   */
  metric: string;
  mode: 'min' | 'max';
  pruner: string | null;
  sampler: string | null;
  backend: string;
  /**
   * Trials run at once.
   */
  parallel: number;
  space: Record<string, JSONValue>;
  trials_requested: number;
  counts: Record<TrialState, number>;
  best: IBestTrial | null;
  status: SweepStatus;
  error: string | null;
  created_at: string;
  ended_at: string | null;
}

/**
 * One trial of a sweep.
 */
export interface ITrial {
  number: number;
  state: TrialState;
  value: TrialValue | null;
  params: Record<string, JSONValue>;
  run_id: string | null;
  started_at: string | null;
  ended_at: string | null;
  duration: number | null;
  /**
   * The values the trial reported on its way, as `[step, value]`.
   */
  intermediate: [number, TrialValue | null][];
  /**
   * Why a failed trial failed, where the server says.
   */
  error?: string | null;
}

/**
 * The response of `GET /dl/api/sweeps/{id}`.
 */
export interface ISweepDetail extends ISweep {
  trials: ITrial[];
}

export type IJobsPage = IPage<IJob>;
export type ISweepsPage = IPage<ISweep>;

/**
 * Command ids of the Training panel.
 */
export namespace TrainingCommandIDs {
  export const open = 'jupyter-dl:open-training';
  /**
   * Open the launch form (args `{path?}`: a `.py` or `.ipynb` to prefill).
   */
  export const launch = 'jupyter-dl:launch-training-job';
  /**
   * The file browser's "Train with jupyter-dl…" on a `.py` or `.ipynb`.
   */
  export const trainFile = 'jupyter-dl:train-file';
  /**
   * Open one job (args `{id}`).
   */
  export const openJob = 'jupyter-dl:open-job';
}

/**
 * The id of the Training panel in the shell and the layout restorer.
 */
export const TRAINING_ID = 'jupyter-dl:training';
