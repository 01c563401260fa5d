/**
 * The Models panel: a main-area widget with the registered models and the
 * deployments down its left side, and beside them the model or deployment
 * chosen there; its toolbar says which is on show, how fresh it is, and
 * refreshes it. Escape goes back from a deployment to its model.
 */
import { IThemeManager } from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { ThemeContext } from '../shared/charts/theme';
import { Empty, PanelScope } from '../shared/feedback';
import {
  Freshness,
  ICrumb,
  LiveContent,
  Location,
  PlatformPanel
} from '../shared/panel';
import { DeploymentView } from './components/DeploymentView';
import { DeploymentList, ModelList } from './components/ModelList';
import { ModelView } from './components/ModelView';
import { deployDialog } from './dialogs';
import { isLive } from './deploymentModel';
import { modelsIcon } from './icons';
import { ModelsModel } from './model';
import { IModelVersion, MODELS_ID } from './tokens';

/**
 * The body of the panel.
 */
export class ModelsContent extends LiveContent<ModelsModel> {
  constructor(options: ModelsPanel.IOptions) {
    super(options.model);
    this._onOpenRun = options.onOpenRun;
    this._onOpenDataset = options.onOpenDataset ?? null;
    this._trans = (options.translator ?? nullTranslator).load('jupyter_dl');
    this.addClass('jp-DLPanel');
    this.addClass('jp-DLModels');
    this.node.setAttribute('data-testid', 'dl-models');
    options.themeManager?.themeChanged.connect(() => {
      this._themeVersion++;
      this.update();
    }, this);
  }

  /**
   * Escape leaves a deployment for its model, unless a field wants the key.
   */
  handleEvent(event: Event): void {
    if (event.type !== 'keydown') {
      return;
    }
    const key = event as KeyboardEvent;
    const target = key.target as HTMLElement;
    if (
      key.key === 'Escape' &&
      this.model.view === 'deployment' &&
      this.model.model !== null &&
      !key.defaultPrevented &&
      !['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)
    ) {
      key.preventDefault();
      this.model.closeDeployment();
    }
  }

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
    const onDeploy = (version: IModelVersion): void => {
      void deployDialog({
        version,
        aliases: (model.model?.aliasesOf(version.version) ?? []).map(
          alias => alias.alias
        ),
        deploy: (ref, options) => model.deploy(ref, options),
        trans
      });
    };
    return (
      <PanelScope.Provider value="models">
        <ThemeContext.Provider value={this._themeVersion}>
          <div className="jp-DLModels-layout">
            <UseSignal signal={model.changed}>
              {() => (
                <nav
                  className="jp-DLModels-side"
                  aria-label={trans.__('Models and deployments')}
                >
                  <UseSignal signal={model.catalog.changed}>
                    {() => (
                      <ModelList
                        model={model.catalog}
                        current={
                          model.view === 'model'
                            ? (model.model?.name ?? null)
                            : null
                        }
                        onOpen={name => model.openModel(name)}
                        trans={trans}
                      />
                    )}
                  </UseSignal>
                  <UseSignal signal={model.deployments.changed}>
                    {() => (
                      <DeploymentList
                        list={model.deployments}
                        current={model.deployment?.id ?? null}
                        onOpen={deployment =>
                          model.openDeployment(deployment.id, deployment)
                        }
                        trans={trans}
                      />
                    )}
                  </UseSignal>
                </nav>
              )}
            </UseSignal>
            <section className="jp-DLModels-main">
              <UseSignal signal={model.changed}>
                {() => {
                  const deployment = model.deployment;
                  if (deployment) {
                    return (
                      <UseSignal
                        key={deployment.id}
                        signal={deployment.changed}
                      >
                        {() => (
                          <DeploymentView
                            model={deployment}
                            onOpenModel={(name, version) =>
                              model.openModel(name, version)
                            }
                            trans={trans}
                          />
                        )}
                      </UseSignal>
                    );
                  }
                  const shown = model.model;
                  if (shown) {
                    return (
                      <UseSignal key={shown.name} signal={shown.changed}>
                        {() => (
                          <ModelView
                            model={shown}
                            onDeploy={onDeploy}
                            onOpenRun={this._onOpenRun}
                            onOpenDataset={this._onOpenDataset}
                            trans={trans}
                          />
                        )}
                      </UseSignal>
                    );
                  }
                  return (
                    <Empty testId="dl-no-model">
                      {trans.__(
                        'Choose a model to see its versions, or a deployment to watch and try it.'
                      )}
                    </Empty>
                  );
                }}
              </UseSignal>
            </section>
          </div>
        </ThemeContext.Provider>
      </PanelScope.Provider>
    );
  }

  protected focusView(): void {
    const target =
      this.node.querySelector<HTMLElement>(
        '.jp-DLModels-item.jp-mod-current'
      ) ?? this.node.querySelector<HTMLElement>('input[type="search"]');
    (target ?? this.node).focus();
  }

  private _onOpenDataset: ((dataset: string, version: string) => void) | null;
  private _onOpenRun: (id: string, project: string) => void;
  private _themeVersion = 0;
  private _trans: TranslationBundle;
}

/**
 * The Models panel in the main area.
 */
export class ModelsPanel extends PlatformPanel<ModelsContent> {
  constructor(options: ModelsPanel.IOptions) {
    const trans = (options.translator ?? nullTranslator).load('jupyter_dl');
    const model = options.model;
    const watched = (render: () => JSX.Element): JSX.Element => (
      <UseSignal signal={model.changed}>
        {() => <CurrentView model={model}>{render}</CurrentView>}
      </UseSignal>
    );
    super({
      content: new ModelsContent(options),
      id: MODELS_ID,
      className: 'jp-DLModelsPanel',
      label: trans.__('Models'),
      icon: modelsIcon,
      location: watched(() => <ModelsLocation model={model} trans={trans} />),
      status: watched(() => <ModelsFreshness model={model} trans={trans} />),
      refresh: {
        tooltip: trans.__('Refresh the lists and what is on show'),
        testId: 'dl-models-refresh',
        onClick: () => void model.refresh()
      },
      toolbarLabel: trans.__('Models toolbar'),
      translator: options.translator
    });

    const updateCaption = (): void => {
      const here = model.deployment?.deployment?.ref ?? model.model?.name;
      this.title.caption = here
        ? trans.__('Models: %1', here)
        : trans.__('Models');
    };
    model.changed.connect(updateCaption, this);
    updateCaption();
  }

  get model(): ModelsModel {
    return this.content.model;
  }
}

export namespace ModelsPanel {
  export interface IOptions {
    model: ModelsModel;
    /**
     * Open a run (of a version's lineage) in the Experiments panel.
     */
    onOpenRun: (id: string, project: string) => void;
    /**
     * Open a dataset at a version in the Datasets panel, where there is one.
     */
    onOpenDataset?: ((dataset: string, version: string) => void) | null;
    translator?: ITranslator;
    /**
     * Charts redraw in the new colours when the theme changes.
     */
    themeManager?: IThemeManager | null;
  }
}

/**
 * Renders its child again whenever what is on show changes.
 */
function CurrentView(props: {
  model: ModelsModel;
  children: () => JSX.Element;
}): JSX.Element {
  const { model } = props;
  const current = model.deployment ?? model.model;
  if (current === null) {
    return props.children();
  }
  // Another view has another signal, and UseSignal connects only when it
  // mounts: a key per view mounts a fresh one.
  const key =
    model.deployment !== null
      ? `deployment:${model.deployment.id}`
      : `model:${model.model?.name}`;
  return (
    <UseSignal key={key} signal={current.changed as ISignal<unknown, void>}>
      {props.children}
    </UseSignal>
  );
}

/**
 * Where the panel is: a model at its chosen version, or a deployment with
 * a way back to its model.
 */
function ModelsLocation(props: {
  model: ModelsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const deployment = model.deployment;
  if (deployment) {
    const behind = model.model;
    return (
      <Location
        testId="dl-models-location"
        back={
          behind
            ? {
                label: behind.name,
                tooltip: trans.__('Back to %1 (Escape)', behind.name),
                testId: 'dl-models-back',
                onClick: () => model.closeDeployment()
              }
            : undefined
        }
        crumbs={[
          { label: trans.__('Deployments') },
          {
            label: deployment.deployment?.ref ?? deployment.id,
            testId: 'dl-models-location-current'
          }
        ]}
      />
    );
  }
  const crumbs: ICrumb[] = [{ label: trans.__('Models') }];
  const shown = model.model;
  if (shown) {
    const version = shown.selectedNumber;
    crumbs.push({
      label: version === null ? shown.name : `${shown.name} v${version}`,
      testId: 'dl-models-location-current'
    });
  }
  return <Location testId="dl-models-location" crumbs={crumbs} />;
}

/**
 * "Live" while a deployment on show starts or runs, and when it was read.
 */
function ModelsFreshness(props: {
  model: ModelsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const deployment = model.deployment;
  if (deployment) {
    return (
      <Freshness
        live={deployment.deployment !== null && isLive(deployment.deployment)}
        liveTitle={trans.__(
          'Reading the deployment and its counters every 2 seconds'
        )}
        updated={deployment.lastUpdated}
        loading={deployment.isLoading}
        trans={trans}
      />
    );
  }
  return (
    <Freshness
      live={false}
      liveTitle=""
      updated={model.model?.lastUpdated ?? null}
      loading={model.model?.isLoading ?? false}
      trans={trans}
    />
  );
}
