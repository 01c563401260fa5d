/**
 * The shapes the Models panel shares: what the registry API returns
 * (`/dl/api/models/...`, `/dl/api/deployments/...`) and the ids of the
 * panel's commands.
 *
 * The response interfaces mirror the registry handlers of the server
 * extension (`extensions/jupyter_dl/registry`, documented in its
 * `openapi.yaml`); keep the two in step.
 */
import type { IPage, JSONValue } from '../tokens';

export type { IPage, JSONValue };

/**
 * An alias of a model and the version it points at.
 */
export interface IModelAlias {
  alias: string;
  version: number;
  set_by: string | null;
  set_at: string;
}

/**
 * A registered model.
 */
export interface IModel {
  id: string;
  name: string;
  description: string;
  owner: string | null;
  /**
   * How many versions exist now.
   */
  versions: number;
  /**
   * The newest existing version, `null` when there is none.
   */
  latest_version: number | null;
  aliases: IModelAlias[];
  created_at: string;
  updated_at: string;
}

/**
 * One named tensor of a signature, in Open Inference Protocol terms.
 */
export interface ITensorSpec {
  name: string;
  /**
   * `FP32`, `INT64`, `BOOL`, ...
   */
  datatype: string;
  /**
   * `-1` is any size; the first dimension is the batch.
   */
  shape: number[];
}

export interface ISignature {
  inputs: ITensorSpec[];
  outputs: ITensorSpec[];
}

/**
 * A dataset version a model was trained on.
 */
export interface IDatasetLineage {
  dataset: string;
  version: string;
  commit: string;
  tag: string | null;
}

/**
 * The code a model came from, as its run captured it.
 */
export interface ICodeLineage {
  commit?: string | null;
  branch?: string | null;
  remote?: string | null;
  dirty?: boolean | null;
  /**
   * The notebook or script.
   */
  source?: string | null;
}

/**
 * Where a version came from.
 */
export interface ILineage {
  run: { id: string; name: string; project: string } | null;
  code: ICodeLineage | null;
  datasets: IDatasetLineage[];
}

/**
 * A file of a version's package.
 */
export interface IModelFile {
  name: string;
  size: number;
  sha256: string;
}

/**
 * A version of a model: an exported program with its weights, signature,
 * metrics and lineage.
 */
export interface IModelVersion {
  model: string;
  version: number;
  aliases: string[];
  description: string;
  run_id: string | null;
  created_by: string | null;
  created_at: string;
  program_format: string;
  weights_format: string;
  signature: ISignature;
  /**
   * The run's summary when the version was published.
   */
  metrics: Record<string, JSONValue>;
  lineage: ILineage;
  files: IModelFile[];
  /**
   * Bytes of all its files.
   */
  size: number;
  path: string;
}

/**
 * One move of an alias.
 */
export interface IAliasEvent {
  alias: string;
  /**
   * `null` when the alias was removed.
   */
  version: number | null;
  previous: number | null;
  by: string | null;
  at: string;
}

/**
 * One tensor of an Open Inference Protocol request or response.
 */
export interface IInferTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: JSONValue[];
}

/**
 * An Open Inference Protocol request body.
 */
export interface IInferRequest {
  id?: string;
  inputs: IInferTensor[];
}

/**
 * An Open Inference Protocol response body.
 */
export interface IInferResponse {
  model_name?: string;
  model_version?: string;
  id?: string;
  outputs: IInferTensor[];
}

export type DeploymentStatus = 'starting' | 'running' | 'stopped' | 'failed';

/**
 * How a deployment serves, as it was started.
 */
export interface IDeploymentSettings {
  host?: string;
  port?: number;
  max_batch_size?: number;
  max_wait_ms?: number;
  device?: string | null;
}

/**
 * A model version served over the Open Inference Protocol.
 */
export interface IDeployment {
  id: string;
  /**
   * The model's name, `null` once the model was deleted.
   */
  model: string | null;
  version: number;
  /**
   * What was asked for: `name@alias`, `name:3` or `name`.
   */
  ref: string;
  status: DeploymentStatus;
  host: string;
  port: number | null;
  url: string | null;
  pid: number | null;
  settings: IDeploymentSettings;
  /**
   * Why it failed.
   */
  error: string | null;
  started_by: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  /**
   * Seconds since it started listening (until it ended).
   */
  uptime: number | null;
}

/**
 * A Prometheus histogram: cumulative `[upper bound, count]` buckets, `null`
 * being +Inf.
 */
export interface IHistogram {
  count: number;
  sum: number;
  buckets: [number | null, number][];
}

/**
 * A reading of a deployment's counters.
 */
export interface IDeploymentMetrics {
  /**
   * Unix seconds of the reading.
   */
  time: number;
  /**
   * Answered requests by HTTP status code.
   */
  requests: Record<string, number>;
  errors: number;
  /**
   * Seconds per request.
   */
  latency: IHistogram;
  batch_size: IHistogram;
  in_flight: number;
}

/**
 * What `POST /deployments` takes besides the model.
 */
export interface IDeployOptions {
  port?: number;
  max_batch_size?: number;
  max_wait_ms?: number;
  device?: string | null;
}

/**
 * What `POST /models/{name}/versions` takes.
 */
export interface IPublishRequest {
  run_id: string;
  artifact?: string;
  description?: string;
  aliases?: string[];
}

/**
 * The names the registry accepts (the server checks them too).
 */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * Command ids of the Models panel.
 */
export namespace ModelsCommandIDs {
  /**
   * Open the panel; args `{model?, version?, deployment?}` show one of them.
   */
  export const open = 'jupyter-dl:open-models';
  /**
   * Publish a model a run kept; args `{id, name, project, models}`.
   */
  export const publishRun = 'jupyter-dl:publish-run-model';
}

/**
 * The id of the Models panel in the shell and the layout restorer.
 */
export const MODELS_ID = 'jupyter-dl:models';
