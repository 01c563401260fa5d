/**
 * The Experiments panel: a main-area widget whose toolbar says where one is
 * (the runs, a run, a comparison), how fresh the view is, and refreshes it;
 * its body renders the view on show. The runs view stays mounted behind a
 * run or a comparison, so going back finds the table as it was left.
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
import { PanelScope } from '../shared/feedback';
import {
  Freshness,
  LiveContent,
  Location,
  PlatformPanel
} from '../shared/panel';
import { experimentsIcon } from './icons';
import { CompareView } from './components/CompareView';
import { RunsView } from './components/RunsView';
import { RunView } from './components/RunView';
import { ExperimentsModel } from './model';
import { EXPERIMENTS_ID, IRunDetail } from './tokens';

/**
 * The body of the panel.
 */
export class ExperimentsContent extends LiveContent<ExperimentsModel> {
  constructor(options: ExperimentsPanel.IOptions) {
    super(options.model);
    this._trans = (options.translator ?? nullTranslator).load('jupyter_dl');
    this._onPublish = options.onPublish ?? null;
    this.addClass('jp-DLPanel');
    this.addClass('jp-DLExperiments');
    this.node.setAttribute('data-testid', 'dl-experiments');
    this.model.changed.connect(this._onViewChanged, this);
    options.themeManager?.themeChanged.connect(() => {
      this._themeVersion++;
      this.update();
    }, this);
  }

  /**
   * Escape leaves a run or a comparison, unless a field wants the key.
   */
  handleEvent(event: Event): void {
    if (event.type !== 'keydown') {
      return;
    }
    const key = event as KeyboardEvent;
    const target = key.target as HTMLElement;
    if (
      key.key === 'Escape' &&
      this.model.view !== 'runs' &&
      !key.defaultPrevented &&
      !['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)
    ) {
      key.preventDefault();
      this.model.showRuns();
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
    const runs = model.runs;
    const open = (id: string): void => {
      this._lastOpened = id;
      model.openRun(id);
    };
    return (
      <PanelScope.Provider value="experiments">
        <ThemeContext.Provider value={this._themeVersion}>
          <UseSignal signal={model.changed}>
            {() => (
              <>
                <div
                  className="jp-DLExperiments-layer"
                  hidden={model.view !== 'runs'}
                >
                  <UseSignal signal={runs.changed}>
                    {() => (
                      <RunsView
                        model={runs}
                        onOpen={open}
                        onCompare={() => model.openCompare()}
                        trans={trans}
                      />
                    )}
                  </UseSignal>
                </div>
                {model.run !== null && (
                  <section className="jp-DLExperiments-layer jp-mod-scroll">
                    {/* A key per run: UseSignal connects only when it mounts,
                        and another panel may open a run over this one. */}
                    <UseSignal key={model.run.id} signal={model.run.changed}>
                      {() =>
                        model.run && (
                          <RunView
                            key={model.run.id}
                            model={model.run}
                            onPublish={this._onPublish}
                            trans={trans}
                          />
                        )
                      }
                    </UseSignal>
                  </section>
                )}
                {model.compare !== null && (
                  <section className="jp-DLExperiments-layer jp-mod-scroll">
                    <UseSignal
                      key={model.compare.ids.join()}
                      signal={model.compare.changed}
                    >
                      {() =>
                        model.compare && (
                          <CompareView
                            model={model.compare}
                            onOpen={open}
                            trans={trans}
                          />
                        )
                      }
                    </UseSignal>
                  </section>
                )}
              </>
            )}
          </UseSignal>
        </ThemeContext.Provider>
      </PanelScope.Provider>
    );
  }

  /**
   * Keyboard focus follows the view: into a run's tabs or the comparison,
   * and back to the run last opened in the table.
   */
  private _onViewChanged(): void {
    requestAnimationFrame(() => this.focusView());
  }

  protected focusView(): void {
    let target: HTMLElement | null = null;
    if (this.model.view === 'runs') {
      const id = this._lastOpened;
      target =
        (id
          ? this.node.querySelector<HTMLElement>(
              `[data-testid="dl-run-row"][data-run-id="${CSS.escape(id)}"]`
            )
          : null) ??
        this.node.querySelector<HTMLElement>(
          '[data-testid="dl-run-row"][tabindex="0"]'
        );
    } else {
      target = this.node.querySelector<HTMLElement>(
        '.jp-DLExperiments-layer.jp-mod-scroll [role="tab"][aria-selected="true"], ' +
          '.jp-DLExperiments-layer.jp-mod-scroll [data-testid="dl-compare-run"]'
      );
    }
    (target ?? this.node).focus();
  }

  private _lastOpened: string | null = null;
  private _onPublish: ((run: IRunDetail, models: string[]) => void) | null;
  private _themeVersion = 0;
  private _trans: TranslationBundle;
}

/**
 * The Experiments panel in the main area.
 */
export class ExperimentsPanel extends PlatformPanel<ExperimentsContent> {
  constructor(options: ExperimentsPanel.IOptions) {
    const trans = (options.translator ?? nullTranslator).load('jupyter_dl');
    const model = options.model;
    const watched = (render: () => JSX.Element): JSX.Element => (
      <UseSignal signal={model.changed}>
        {() => <CurrentView model={model}>{render}</CurrentView>}
      </UseSignal>
    );
    super({
      content: new ExperimentsContent(options),
      id: EXPERIMENTS_ID,
      className: 'jp-DLExperimentsPanel',
      label: trans.__('Experiments'),
      icon: experimentsIcon,
      location: watched(() => (
        <ExperimentsLocation model={model} trans={trans} />
      )),
      status: watched(() => (
        <ExperimentsFreshness model={model} trans={trans} />
      )),
      refresh: {
        tooltip: trans.__('Refresh'),
        testId: 'dl-experiments-refresh',
        onClick: () => {
          if (model.view === 'run') {
            void model.run?.refresh();
          } else if (model.view === 'compare') {
            void model.compare?.refresh();
          } else {
            void model.runs.refresh();
          }
        }
      },
      toolbarLabel: trans.__('Experiments toolbar'),
      translator: options.translator
    });

    const updateCaption = (): void => {
      const project = model.runs.project;
      this.title.caption = project
        ? trans.__('Experiments: %1', project)
        : trans.__('Experiments');
    };
    model.runs.choicesChanged.connect(updateCaption, this);
    updateCaption();
  }

  get model(): ExperimentsModel {
    return this.content.model;
  }
}

export namespace ExperimentsPanel {
  export interface IOptions {
    model: ExperimentsModel;
    translator?: ITranslator;
    /**
     * Charts redraw in the new colours when the theme changes.
     */
    themeManager?: IThemeManager | null;
    /**
     * Publish a model a run kept; without it runs offer no Publish button.
     */
    onPublish?: ((run: IRunDetail, models: string[]) => void) | null;
  }
}

/**
 * Renders its child again whenever the model of the view on show changes.
 */
function CurrentView(props: {
  model: ExperimentsModel;
  children: () => JSX.Element;
}): JSX.Element {
  const { model } = props;
  const current =
    model.view === 'run' && model.run
      ? model.run
      : model.view === 'compare' && model.compare
        ? model.compare
        : model.runs;
  // Another view has another signal, and UseSignal connects only when it
  // mounts: a key per view mounts a fresh one.
  const key = [model.view, model.run?.id, model.compare?.ids.join()].join(':');
  return (
    <UseSignal key={key} signal={current.changed as ISignal<unknown, void>}>
      {props.children}
    </UseSignal>
  );
}

/**
 * Where the panel is: the runs, or a run or comparison with a way back.
 */
function ExperimentsLocation(props: {
  model: ExperimentsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  if (model.view === 'runs') {
    return (
      <Location
        testId="dl-location"
        crumbs={[
          {
            label: model.runs.project
              ? trans.__('Runs of %1', model.runs.project)
              : trans.__('Runs')
          }
        ]}
      />
    );
  }
  const here =
    model.view === 'run'
      ? (model.run?.run?.name ?? model.run?.id ?? '')
      : trans.__('Comparing %1 runs', model.compare?.ids.length ?? 0);
  return (
    <Location
      testId="dl-location"
      back={{
        label: trans.__('Runs'),
        tooltip: trans.__('Back to the runs (Escape)'),
        testId: 'dl-back',
        onClick: () => model.showRuns()
      }}
      crumbs={[{ label: here, testId: 'dl-location-current' }]}
    />
  );
}

/**
 * "Live" while the view refreshes by itself, and when it last did.
 */
function ExperimentsFreshness(props: {
  model: ExperimentsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  let live = false;
  let updated: Date | null = null;
  let loading = false;
  if (model.view === 'run' && model.run) {
    live = model.run.run?.status === 'running';
    updated = model.run.lastUpdated;
    loading = model.run.isLoading;
  } else if (model.view === 'compare' && model.compare) {
    live = model.compare.runs.some(run => run.status === 'running');
    updated = model.compare.lastUpdated;
    loading = model.compare.isLoading;
  } else {
    live = model.runs.isLive;
    updated = model.runs.lastUpdated;
    loading = model.runs.isLoading;
  }
  return (
    <Freshness
      live={live}
      liveTitle={trans.__('Refreshing every 2 seconds while a run is running')}
      updated={updated}
      loading={loading}
      trans={trans}
    />
  );
}
