/**
 * The state of the whole Models panel: the list of models and the list of
 * deployments down its side, and what is on show beside them (a model or
 * a deployment). Only what is on show is active, so only it refreshes.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { LiveList } from '../shared/liveList';
import { IRegistryAPI } from './api';
import { CatalogModel } from './catalogModel';
import { DeploymentModel, isLive } from './deploymentModel';
import { ModelModel } from './modelModel';
import { IDeployment, IDeployOptions, IModel } from './tokens';

/**
 * Deployments per request in the side list.
 */
const DEPLOYMENTS_PAGE = 20;

export type ModelsView = 'none' | 'model' | 'deployment';

export class ModelsModel {
  constructor(options: ModelsModel.IOptions) {
    this._api = options.api;
    this.catalog = new CatalogModel({ api: options.api });
    this.catalog.changed.connect(this._followCatalog, this);
    this.deployments = new LiveList<IDeployment>({
      fetch: (cursor, limit) => this._api.listDeployments(null, cursor, limit),
      key: deployment => deployment.id,
      isLive,
      pageSize: DEPLOYMENTS_PAGE,
      what: 'deployments'
    });
  }

  readonly catalog: CatalogModel;

  /**
   * Live and recent deployments, newest first.
   */
  readonly deployments: LiveList<IDeployment>;

  /**
   * Emitted when what is on show changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get view(): ModelsView {
    return this._deployment ? 'deployment' : this._model ? 'model' : 'none';
  }

  /**
   * The model on show, kept behind a deployment opened from it.
   */
  get model(): ModelModel | null {
    return this._model;
  }

  /**
   * The deployment on show, `null` in the other views.
   */
  get deployment(): DeploymentModel | null {
    return this._deployment;
  }

  get isActive(): boolean {
    return this._isActive;
  }

  set isActive(value: boolean) {
    if (value === this._isActive) {
      return;
    }
    this._isActive = value;
    this._activate();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load the lists; show a deployment, or a model (at a version), when
   * given, else the first model listed.
   */
  async start(
    options: {
      model?: string | null;
      version?: number | null;
      deployment?: string | null;
    } = {}
  ): Promise<void> {
    if (options.model) {
      this.openModel(options.model, options.version);
    }
    if (options.deployment) {
      this.openDeployment(options.deployment);
    }
    await Promise.all([this.catalog.refresh(), this.deployments.reload()]);
    const first = this.catalog.models[0];
    if (this.view === 'none' && first) {
      this.openModel(first.name);
    }
  }

  /**
   * Show a model, at `version` or its newest.
   */
  openModel(name: string, version?: number | null): void {
    this._closeDeployment();
    if (this._model?.name === name) {
      if (version) {
        this._model.select(version);
      }
      this._activate();
      this._changed.emit();
      return;
    }
    this._model?.dispose();
    const model = new ModelModel({ api: this._api, name, version });
    model.modelUpdated.connect((_, updated: IModel) =>
      this.catalog.update(updated)
    );
    this._model = model;
    this._activate();
    this._changed.emit();
    void model.refresh();
  }

  /**
   * Show a deployment, as already known when given.
   */
  openDeployment(id: string, known?: IDeployment): void {
    if (this._deployment?.id === id) {
      return;
    }
    this._closeDeployment();
    const deployment = new DeploymentModel({
      api: this._api,
      id,
      deployment: known ?? this.deployments.items.find(d => d.id === id)
    });
    deployment.deploymentUpdated.connect((_, updated: IDeployment) =>
      this._deploymentChanged(updated)
    );
    this._deployment = deployment;
    this._activate();
    this._changed.emit();
    void deployment.refresh();
  }

  /**
   * Back from a deployment to the model behind it.
   */
  closeDeployment(): void {
    if (this._deployment === null) {
      return;
    }
    this._closeDeployment();
    this._activate();
    this._changed.emit();
  }

  /**
   * Serve `ref` (`name:3` or `name@alias`) and show the deployment while it
   * starts; rejects with the server's reason when it cannot start.
   */
  async deploy(ref: string, options: IDeployOptions): Promise<IDeployment> {
    const deployment = await this._api.deploy(ref, options);
    void this.deployments.reload();
    this.openDeployment(deployment.id, deployment);
    return deployment;
  }

  /**
   * Load the lists and what is on show again.
   */
  async refresh(): Promise<void> {
    await Promise.all([
      this.catalog.refresh(),
      this.deployments.refresh(),
      this._deployment ? this._deployment.refresh() : this._model?.refresh()
    ]);
  }

  /**
   * A model changed elsewhere (a version published): load it again where
   * it is listed or on show.
   */
  async modelChanged(name: string): Promise<void> {
    await Promise.all([
      this.catalog.refresh(),
      this._model?.name === name ? this._model.refresh() : null
    ]);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.catalog.dispose();
    this.deployments.dispose();
    this._model?.dispose();
    this._deployment?.dispose();
    Signal.clearData(this);
  }

  /**
   * The list is read again every few seconds: a model on show that changed
   * elsewhere (a version published from a notebook) is read again too.
   */
  private _followCatalog(): void {
    const shown = this._model;
    if (shown === null || shown.model === null || shown.isLoading) {
      return;
    }
    const listed = this.catalog.models.find(m => m.name === shown.name);
    if (listed && listed.updated_at !== shown.model.updated_at) {
      void shown.refresh();
    }
  }

  private _deploymentChanged(deployment: IDeployment): void {
    const known = this.deployments.items.find(d => d.id === deployment.id);
    if (known === undefined) {
      void this.deployments.reload();
    } else if (known.status !== deployment.status) {
      this.deployments.update(deployment);
    }
  }

  private _activate(): void {
    this.catalog.isActive = this._isActive;
    this.deployments.isActive = this._isActive;
    if (this._deployment) {
      this._deployment.isActive = this._isActive;
    }
  }

  private _closeDeployment(): void {
    this._deployment?.dispose();
    this._deployment = null;
  }

  private _api: IRegistryAPI;
  private _changed = new Signal<this, void>(this);
  private _deployment: DeploymentModel | null = null;
  private _isActive = false;
  private _isDisposed = false;
  private _model: ModelModel | null = null;
}

export namespace ModelsModel {
  export interface IOptions {
    api: IRegistryAPI;
  }
}
