/**
 * The Training panel: a main-area widget with the jobs and the sweeps as
 * tabs, a job (its log followed) or a sweep opened from them, and the
 * launch form; its toolbar says where one is, how fresh the view is, and
 * refreshes it. Escape goes back to the list.
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
import { TabList, tabPanelProps } from '../shared/tabs';
import { JobsView } from './components/JobsView';
import { JobView } from './components/JobView';
import { LaunchForm } from './components/LaunchForm';
import { SweepsView } from './components/SweepsView';
import { SweepView } from './components/SweepView';
import { trainingIcon } from './icons';
import { TrainingModel } from './model';
import { TRAINING_ID } from './tokens';

const TABS_ID = 'jp-DLTraining';

/**
 * The body of the panel.
 */
export class TrainingContent extends LiveContent<TrainingModel> {
  constructor(options: TrainingPanel.IOptions) {
    super(options.model);
    this._onOpenRun = options.onOpenRun;
    this._trans = (options.translator ?? nullTranslator).load('jupyter_dl');
    this.addClass('jp-DLPanel');
    this.addClass('jp-DLTraining');
    this.node.setAttribute('data-testid', 'dl-training');
    this.model.changed.connect(this._onViewChanged, this);
    options.themeManager?.themeChanged.connect(() => {
      this._themeVersion++;
      this.update();
    }, this);
  }

  /**
   * Escape leaves a job, a sweep or the launch form, unless a field wants it.
   */
  handleEvent(event: Event): void {
    if (event.type !== 'keydown') {
      return;
    }
    const key = event as KeyboardEvent;
    const target = key.target as HTMLElement;
    const view = this.model.view;
    if (
      key.key === 'Escape' &&
      view !== 'jobs' &&
      view !== 'sweeps' &&
      !key.defaultPrevented &&
      !(view === 'launch' && this.model.launch?.isLaunching) &&
      !['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)
    ) {
      key.preventDefault();
      this.model.showList();
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
    return (
      <PanelScope.Provider value="training">
        <ThemeContext.Provider value={this._themeVersion}>
          <UseSignal signal={model.changed}>
            {() => (
              <>
                <div
                  className="jp-DLTraining-layer"
                  hidden={model.view !== 'jobs' && model.view !== 'sweeps'}
                >
                  <ListTabs model={model} trans={trans} />
                  <div
                    className="jp-DLTraining-tabPanel"
                    {...tabPanelProps(TABS_ID, model.list)}
                  >
                    {/* A key per list: UseSignal connects only when it mounts. */}
                    {model.list === 'jobs' ? (
                      <UseSignal key="jobs" signal={model.jobs.changed}>
                        {() => (
                          <JobsView
                            jobs={model.jobs}
                            filter={model.filter}
                            onFilter={filter => model.setFilter(filter)}
                            onOpen={job => this._openJob(job.id)}
                            onLaunch={() => model.openLaunch()}
                            trans={trans}
                          />
                        )}
                      </UseSignal>
                    ) : (
                      <UseSignal key="sweeps" signal={model.sweeps.changed}>
                        {() => (
                          <SweepsView
                            sweeps={model.sweeps}
                            onOpen={sweep => this._openSweep(sweep.id)}
                            trans={trans}
                          />
                        )}
                      </UseSignal>
                    )}
                  </div>
                </div>
                {model.view === 'job' && model.job && (
                  <section className="jp-DLTraining-layer jp-mod-scroll">
                    <UseSignal signal={model.job.changed}>
                      {() =>
                        model.job && (
                          <JobView
                            key={model.job.id}
                            model={model.job}
                            onOpenRun={id => this._onOpenRun(id, null)}
                            trans={trans}
                          />
                        )
                      }
                    </UseSignal>
                  </section>
                )}
                {model.view === 'sweep' && model.sweep && (
                  <section className="jp-DLTraining-layer jp-mod-scroll">
                    <UseSignal signal={model.sweep.changed}>
                      {() =>
                        model.sweep && (
                          <SweepView
                            key={model.sweep.id}
                            model={model.sweep}
                            onOpenRun={this._onOpenRun}
                            trans={trans}
                          />
                        )
                      }
                    </UseSignal>
                  </section>
                )}
                {model.view === 'launch' && model.launch && (
                  <section className="jp-DLTraining-layer jp-mod-scroll">
                    <UseSignal signal={model.launch.changed}>
                      {() =>
                        model.launch && (
                          <LaunchForm
                            model={model.launch}
                            onCancel={() => model.showList('jobs')}
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

  private _openJob(id: string): void {
    this._lastOpened = id;
    this.model.openJob(id);
  }

  private _openSweep(id: string): void {
    this._lastOpened = id;
    this.model.openSweep(id);
  }

  private _onViewChanged(): void {
    requestAnimationFrame(() => this.focusView());
  }

  /**
   * Keyboard focus follows the view: back to the row last opened, into a
   * job's log, or the form's first field (which focuses itself).
   */
  protected focusView(): void {
    const view = this.model.view;
    if (view === 'launch') {
      return;
    }
    let target: HTMLElement | null = null;
    if (view === 'jobs' || view === 'sweeps') {
      const row = view === 'jobs' ? 'dl-job-row' : 'dl-sweep-row';
      const attribute = view === 'jobs' ? 'data-job-id' : 'data-sweep-id';
      const id = this._lastOpened;
      target =
        (id
          ? this.node.querySelector<HTMLElement>(
              `[data-testid="${row}"][${attribute}="${CSS.escape(id)}"]`
            )
          : null) ??
        this.node.querySelector<HTMLElement>(
          `[data-testid="${row}"][tabindex="0"]`
        ) ??
        this.node.querySelector<HTMLElement>(`#${TABS_ID}-tab-${view}`);
    } else {
      target = this.node.querySelector<HTMLElement>(
        '.jp-DLTraining-layer.jp-mod-scroll .jp-DLTraining-detail'
      );
    }
    if (target && !target.hasAttribute('tabindex')) {
      target.tabIndex = -1;
    }
    (target ?? this.node).focus();
  }

  private _lastOpened: string | null = null;
  private _onOpenRun: (id: string, project: string | null) => void;
  private _themeVersion = 0;
  private _trans: TranslationBundle;
}

/**
 * The Training panel in the main area.
 */
export class TrainingPanel extends PlatformPanel<TrainingContent> {
  constructor(options: TrainingPanel.IOptions) {
    const trans = (options.translator ?? nullTranslator).load('jupyter_dl');
    const model = options.model;
    const watched = (render: () => JSX.Element): JSX.Element => (
      <UseSignal signal={model.changed}>
        {() => <CurrentView model={model}>{render}</CurrentView>}
      </UseSignal>
    );
    super({
      content: new TrainingContent(options),
      id: TRAINING_ID,
      className: 'jp-DLTrainingPanel',
      label: trans.__('Training'),
      icon: trainingIcon,
      location: watched(() => <TrainingLocation model={model} trans={trans} />),
      status: watched(() => <TrainingFreshness model={model} trans={trans} />),
      refresh: {
        tooltip: trans.__('Refresh'),
        testId: 'dl-training-refresh',
        onClick: () => void model.refresh()
      },
      toolbarLabel: trans.__('Training toolbar'),
      translator: options.translator
    });
  }

  get model(): TrainingModel {
    return this.content.model;
  }
}

export namespace TrainingPanel {
  export interface IOptions {
    model: TrainingModel;
    /**
     * Open a run (of a job or a trial) in the Experiments panel.
     */
    onOpenRun: (id: string, project: string | null) => void;
    translator?: ITranslator;
    /**
     * Charts redraw in the new colours when the theme changes.
     */
    themeManager?: IThemeManager | null;
  }
}

/**
 * The Jobs and Sweeps tabs, with how many of each are listed.
 */
function ListTabs(props: {
  model: TrainingModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const count = (n: number, more: boolean): string =>
    more ? `${n}+` : String(n);
  return (
    <UseSignal signal={model.sweeps.changed}>
      {() => (
        <TabList
          tabs={[
            { id: 'jobs', label: trans.__('Jobs') },
            {
              id: 'sweeps',
              label: model.sweeps.isLoaded ? (
                <>
                  {trans.__('Sweeps')}
                  <span className="jp-DLTraining-tabCount">
                    {count(model.sweeps.items.length, model.sweeps.hasMore)}
                  </span>
                </>
              ) : (
                trans.__('Sweeps')
              )
            }
          ]}
          current={model.list}
          onChange={list => model.showList(list)}
          label={trans.__('Jobs or sweeps')}
          idPrefix={TABS_ID}
          testIdPrefix="dl-training-tab-"
        />
      )}
    </UseSignal>
  );
}

/**
 * Renders its child again whenever the model of the view on show changes.
 */
function CurrentView(props: {
  model: TrainingModel;
  children: () => JSX.Element;
}): JSX.Element {
  const { model } = props;
  const current: { changed: ISignal<unknown, void> } =
    model.view === 'job' && model.job
      ? model.job
      : model.view === 'sweep' && model.sweep
        ? model.sweep
        : model.view === 'launch' && model.launch
          ? model.launch
          : model.view === 'sweeps'
            ? model.sweeps
            : model.jobs;
  // Another view has another signal, and UseSignal connects only when it
  // mounts: a key per view mounts a fresh one.
  const key = [model.view, model.job?.id, model.sweep?.id].join(':');
  return (
    <UseSignal key={key} signal={current.changed}>
      {props.children}
    </UseSignal>
  );
}

/**
 * Where the panel is: the jobs or the sweeps, or one of them (or the
 * launch form) with a way back.
 */
function TrainingLocation(props: {
  model: TrainingModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const view = model.view;
  if (view === 'jobs' || view === 'sweeps') {
    return (
      <Location
        testId="dl-training-location"
        crumbs={[
          {
            label: trans.__('Training')
          }
        ]}
      />
    );
  }
  let here = '';
  if (view === 'job') {
    here = model.job?.job?.name ?? model.job?.id ?? '';
  } else if (view === 'sweep') {
    here = model.sweep?.sweep?.name ?? model.sweep?.id ?? '';
  } else {
    here = trans.__('New job');
  }
  const list = model.list;
  return (
    <Location
      testId="dl-training-location"
      back={{
        label: list === 'jobs' ? trans.__('Jobs') : trans.__('Sweeps'),
        tooltip:
          list === 'jobs'
            ? trans.__('Back to the jobs (Escape)')
            : trans.__('Back to the sweeps (Escape)'),
        testId: 'dl-training-back',
        onClick: () => model.showList()
      }}
      crumbs={[{ label: here, testId: 'dl-training-location-current' }]}
    />
  );
}

/**
 * "Live" while the view refreshes by itself, and when it last did.
 */
function TrainingFreshness(props: {
  model: TrainingModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  let live = false;
  let updated: Date | null = null;
  let loading = false;
  let title = '';
  switch (model.view) {
    case 'job':
      live = model.job?.isLive ?? false;
      updated = model.job?.lastUpdated ?? null;
      loading = model.job?.isLoading ?? false;
      title = trans.__('Refreshing every 2 seconds while the job runs');
      break;
    case 'sweep':
      live = model.sweep?.isLive ?? false;
      updated = model.sweep?.lastUpdated ?? null;
      loading = model.sweep?.isLoading ?? false;
      title = trans.__('Refreshing every 2 seconds while the sweep runs');
      break;
    case 'sweeps':
      live = model.sweeps.isLive;
      updated = model.sweeps.lastUpdated;
      loading = model.sweeps.isLoading;
      title = trans.__('Refreshing every 2 seconds while a sweep runs');
      break;
    case 'jobs':
      live = model.jobs.isLive;
      updated = model.jobs.lastUpdated;
      loading = model.jobs.isLoading;
      title = trans.__('Refreshing every 2 seconds while a job runs');
      break;
    default:
      break;
  }
  return (
    <Freshness
      live={live}
      liveTitle={title}
      updated={updated}
      loading={loading}
      trans={trans}
    />
  );
}
