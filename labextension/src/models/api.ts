/**
 * The registry routes of the platform API, one typed function each, all
 * through `requestAPI`.
 */
import { ServerConnection } from '@jupyterlab/services';

import { pathSegment as segment, queryString, requestAPI } from '../handler';
import {
  DeploymentStatus,
  IAliasEvent,
  IDeployment,
  IDeploymentMetrics,
  IDeployOptions,
  IInferRequest,
  IInferResponse,
  IModel,
  IModelVersion,
  IPage,
  IPublishRequest,
  JSONValue
} from './tokens';

/**
 * The registry API as the Models panel uses it. Models take one of these,
 * so they can be driven by something other than a live server.
 */
export interface IRegistryAPI {
  listModels(
    q: string,
    cursor?: string | null,
    limit?: number
  ): Promise<IPage<IModel>>;
  getModel(name: string): Promise<IModel>;
  updateModel(name: string, patch: { description: string }): Promise<IModel>;
  listVersions(
    name: string,
    cursor?: string | null,
    limit?: number
  ): Promise<IPage<IModelVersion>>;
  getVersion(name: string, version: number): Promise<IModelVersion>;
  deleteVersion(name: string, version: number): Promise<void>;
  /**
   * The version's example as an inference request body.
   */
  example(name: string, version: number): Promise<IInferRequest>;
  /**
   * Publish what a run kept with `run.log_model` as the next version.
   */
  publish(name: string, request: IPublishRequest): Promise<IModelVersion>;
  setAlias(name: string, alias: string, version: number): Promise<IModel>;
  deleteAlias(name: string, alias: string): Promise<IModel>;
  history(
    name: string,
    cursor?: string | null,
    limit?: number
  ): Promise<IPage<IAliasEvent>>;
  listDeployments(
    status?: DeploymentStatus | 'live' | null,
    cursor?: string | null,
    limit?: number
  ): Promise<IPage<IDeployment>>;
  /**
   * Start serving `ref` (`name@alias` or `name:3`); answers while starting.
   */
  deploy(ref: string, options: IDeployOptions): Promise<IDeployment>;
  getDeployment(id: string): Promise<IDeployment>;
  stopDeployment(id: string): Promise<IDeployment>;
  deploymentLog(id: string): Promise<string>;
  /**
   * An inference request through the server; a request the model refuses
   * rejects with the deployment's own message.
   */
  infer(
    id: string,
    request: JSONValue | IInferRequest
  ): Promise<IInferResponse>;
  deploymentMetrics(id: string): Promise<IDeploymentMetrics>;
}

/**
 * The registry API of a Jupyter server.
 */
export class RegistryAPI implements IRegistryAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._settings = settings;
  }

  listModels(
    q: string,
    cursor: string | null = null,
    limit?: number
  ): Promise<IPage<IModel>> {
    return this._call(`models${queryString({ q: q.trim(), cursor, limit })}`);
  }

  getModel(name: string): Promise<IModel> {
    return this._call(`models/${segment(name)}`);
  }

  updateModel(name: string, patch: { description: string }): Promise<IModel> {
    return this._call(`models/${segment(name)}`, 'PATCH', patch);
  }

  listVersions(
    name: string,
    cursor: string | null = null,
    limit?: number
  ): Promise<IPage<IModelVersion>> {
    return this._call(
      `models/${segment(name)}/versions${queryString({ cursor, limit })}`
    );
  }

  getVersion(name: string, version: number): Promise<IModelVersion> {
    return this._call(`models/${segment(name)}/versions/${version}`);
  }

  async deleteVersion(name: string, version: number): Promise<void> {
    await this._call(`models/${segment(name)}/versions/${version}`, 'DELETE');
  }

  example(name: string, version: number): Promise<IInferRequest> {
    return this._call(`models/${segment(name)}/versions/${version}/example`);
  }

  publish(name: string, request: IPublishRequest): Promise<IModelVersion> {
    return this._call(`models/${segment(name)}/versions`, 'POST', request);
  }

  setAlias(name: string, alias: string, version: number): Promise<IModel> {
    return this._call(
      `models/${segment(name)}/aliases/${segment(alias)}`,
      'PUT',
      { version }
    );
  }

  deleteAlias(name: string, alias: string): Promise<IModel> {
    return this._call(
      `models/${segment(name)}/aliases/${segment(alias)}`,
      'DELETE'
    );
  }

  history(
    name: string,
    cursor: string | null = null,
    limit?: number
  ): Promise<IPage<IAliasEvent>> {
    return this._call(
      `models/${segment(name)}/history${queryString({ cursor, limit })}`
    );
  }

  listDeployments(
    status: DeploymentStatus | 'live' | null = null,
    cursor: string | null = null,
    limit?: number
  ): Promise<IPage<IDeployment>> {
    return this._call(`deployments${queryString({ status, cursor, limit })}`);
  }

  deploy(ref: string, options: IDeployOptions): Promise<IDeployment> {
    return this._call('deployments', 'POST', { model: ref, ...options });
  }

  getDeployment(id: string): Promise<IDeployment> {
    return this._call(`deployments/${segment(id)}`);
  }

  stopDeployment(id: string): Promise<IDeployment> {
    return this._call(`deployments/${segment(id)}/stop`, 'POST');
  }

  async deploymentLog(id: string): Promise<string> {
    const body = await this._call<{ text: string }>(
      `deployments/${segment(id)}/log`
    );
    return body.text;
  }

  infer(
    id: string,
    request: JSONValue | IInferRequest
  ): Promise<IInferResponse> {
    return this._call(`deployments/${segment(id)}/infer`, 'POST', request);
  }

  deploymentMetrics(id: string): Promise<IDeploymentMetrics> {
    return this._call(`deployments/${segment(id)}/metrics`);
  }

  private _call<T>(
    endpoint: string,
    method = 'GET',
    body?: unknown
  ): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
    return requestAPI<T>(endpoint, init, this._settings);
  }

  private _settings: ServerConnection.ISettings;
}
