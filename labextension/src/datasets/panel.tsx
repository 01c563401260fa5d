/**
 * The Datasets panel: a main-area widget with the catalog down its left
 * side and the chosen dataset beside it; its toolbar says which dataset and
 * version are on show and refreshes them.
 */
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { Empty, PanelScope } from '../shared/feedback';
import { Location, PlatformPanel } from '../shared/panel';
import { CatalogList } from './components/CatalogList';
import { DatasetView } from './components/DatasetView';
import { DatasetModel } from './datasetModel';
import { datasetsIcon } from './icons';
import { DatasetsModel } from './model';
import { ISnippetTarget } from './snippet';
import { DATASETS_ID } from './tokens';

/**
 * The body of the panel.
 */
export class DatasetsContent extends ReactWidget {
  constructor(options: DatasetsPanel.IOptions) {
    super();
    this.model = options.model;
    this._snippet = options.snippet ?? null;
    this._onOpenRun = options.onOpenRun;
    this._trans = (options.translator ?? nullTranslator).load('jupyter_dl');
    this.addClass('jp-DLPanel');
    this.addClass('jp-DLDatasets');
    this.node.setAttribute('data-testid', 'dl-datasets');
    this.node.tabIndex = -1;
  }

  readonly model: DatasetsModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    const model = this.model;
    const trans = this._trans;
    return (
      <PanelScope.Provider value="datasets">
        <div className="jp-DLDatasets-layout">
          <UseSignal signal={model.changed}>
            {() => (
              <UseSignal signal={model.catalog.changed}>
                {() => (
                  <CatalogList
                    model={model.catalog}
                    current={model.dataset?.name ?? null}
                    onOpen={name => model.open(name)}
                    trans={trans}
                  />
                )}
              </UseSignal>
            )}
          </UseSignal>
          <section className="jp-DLDatasets-main">
            <UseSignal signal={model.changed}>
              {() => {
                const dataset = model.dataset;
                if (dataset === null) {
                  return (
                    <Empty testId="dl-no-dataset">
                      {trans.__(
                        'Choose a dataset to browse its versions and files.'
                      )}
                    </Empty>
                  );
                }
                return (
                  <UseSignal key={dataset.name} signal={dataset.changed}>
                    {() => (
                      <DatasetView
                        model={dataset}
                        snippet={this._snippet}
                        onOpenRun={this._onOpenRun}
                        trans={trans}
                      />
                    )}
                  </UseSignal>
                );
              }}
            </UseSignal>
          </section>
        </div>
      </PanelScope.Provider>
    );
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (!this.node.contains(document.activeElement)) {
      const target =
        this.node.querySelector<HTMLElement>(
          '.jp-DLDatasets-catalogItem.jp-mod-current'
        ) ?? this.node.querySelector<HTMLElement>('input[type="search"]');
      (target ?? this.node).focus();
    }
  }

  private _onOpenRun: (id: string, project: string) => void;
  private _snippet: ISnippetTarget | null;
  private _trans: TranslationBundle;
}

/**
 * The Datasets panel in the main area.
 */
export class DatasetsPanel extends PlatformPanel<DatasetsContent> {
  constructor(options: DatasetsPanel.IOptions) {
    const trans = (options.translator ?? nullTranslator).load('jupyter_dl');
    const model = options.model;
    super({
      content: new DatasetsContent(options),
      id: DATASETS_ID,
      className: 'jp-DLDatasetsPanel',
      label: trans.__('Datasets'),
      icon: datasetsIcon,
      location: (
        <UseSignal signal={model.changed}>
          {() =>
            model.dataset ? (
              <UseSignal
                key={model.dataset.name}
                signal={model.dataset.changed}
              >
                {() => <DatasetsLocation model={model} trans={trans} />}
              </UseSignal>
            ) : (
              <DatasetsLocation model={model} trans={trans} />
            )
          }
        </UseSignal>
      ),
      refresh: {
        tooltip: trans.__('Refresh the catalog and the dataset on show'),
        testId: 'dl-datasets-refresh',
        onClick: () => void model.refresh()
      },
      toolbarLabel: trans.__('Datasets toolbar'),
      translator: options.translator
    });

    const updateCaption = (): void => {
      const name = model.dataset?.name;
      this.title.caption = name
        ? trans.__('Datasets: %1', name)
        : trans.__('Datasets');
    };
    model.changed.connect(updateCaption, this);
    updateCaption();
  }

  get model(): DatasetsModel {
    return this.content.model;
  }
}

export namespace DatasetsPanel {
  export interface IOptions {
    model: DatasetsModel;
    /**
     * Where "Insert in notebook" puts code; without one the button is not shown.
     */
    snippet?: ISnippetTarget | null;
    /**
     * Open a run (of the lineage) in the Experiments panel.
     */
    onOpenRun: (id: string, project: string) => void;
    translator?: ITranslator;
  }
}

/**
 * Where the panel is: the datasets, and the one on show at its version.
 */
function DatasetsLocation(props: {
  model: DatasetsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const dataset: DatasetModel | null = model.dataset;
  const crumbs = [{ label: trans.__('Datasets') }];
  if (dataset) {
    crumbs.push({
      label: dataset.version
        ? `${dataset.name}@${dataset.version.ref}`
        : dataset.name
    });
  }
  return <Location testId="dl-datasets-location" crumbs={crumbs} />;
}
