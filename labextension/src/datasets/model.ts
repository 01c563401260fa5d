/**
 * The state of the whole Datasets panel: the catalog, and the dataset
 * chosen in it with everything shown of it.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IDatasetsAPI } from './api';
import { CatalogModel } from './catalogModel';
import { DatasetModel } from './datasetModel';

export class DatasetsModel {
  constructor(options: DatasetsModel.IOptions) {
    this._api = options.api;
    this.catalog = new CatalogModel({ api: options.api });
  }

  readonly catalog: CatalogModel;

  /**
   * Emitted when another dataset is chosen (or none).
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The dataset on show, `null` before one is chosen.
   */
  get dataset(): DatasetModel | null {
    return this._dataset;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load the catalog; show `dataset` (at `version`) when given, else the
   * first dataset listed.
   */
  async start(dataset?: string | null, version?: string | null): Promise<void> {
    if (dataset) {
      this.open(dataset, version);
    }
    await this.catalog.refresh();
    const first = this.catalog.datasets[0];
    if (this._dataset === null && first) {
      this.open(first.name);
    }
  }

  /**
   * Show a dataset, at `version` (a ref) or its latest.
   */
  open(name: string, version?: string | null): void {
    if (this._dataset?.name === name) {
      if (version) {
        this._dataset.setVersion(version);
      }
      return;
    }
    this._dataset?.dispose();
    const dataset = new DatasetModel({ api: this._api, name, version });
    this._dataset = dataset;
    this._changed.emit();
    void dataset.start();
  }

  /**
   * Load the catalog and the dataset on show again.
   */
  async refresh(): Promise<void> {
    await Promise.all([this.catalog.refresh(), this._dataset?.refresh()]);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.catalog.dispose();
    this._dataset?.dispose();
    Signal.clearData(this);
  }

  private _api: IDatasetsAPI;
  private _changed = new Signal<this, void>(this);
  private _dataset: DatasetModel | null = null;
  private _isDisposed = false;
}

export namespace DatasetsModel {
  export interface IOptions {
    api: IDatasetsAPI;
  }
}
