/**
 * The jupyter-dl JupyterLab extension: the Deep Learning sidebar (its
 * command and its place in the saved layout), the Experiments, Datasets,
 * Training and Models panels, and the GPU quota in the status bar.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { CommandToolbarButton } from '@jupyterlab/ui-components';

import { datasetsPlugin } from './datasets/plugin';
import { DatasetsCommandIDs } from './datasets/tokens';
import { experimentsPlugin } from './experiments/plugin';
import { ExperimentsCommandIDs } from './experiments/tokens';
import { modelsPlugin } from './models/plugin';
import { ModelsCommandIDs } from './models/tokens';
import { quotaPlugin } from './quota/plugin';
import { trainingPlugin } from './training/plugin';
import { TrainingCommandIDs } from './training/tokens';
import { deepLearningIcon } from './icons';
import { PlatformInfoModel } from './model';
import { DeepLearningSidebar } from './sidebar';
import { CommandIDs, IRefreshable, PANEL_CLASS, SIDEBAR_ID } from './tokens';

export { PlatformAPIError, requestAPI } from './handler';
export { PlatformInfoModel } from './model';
export { DeepLearningSidebar } from './sidebar';
export * from './tokens';
export * from './experiments/tokens';
export * from './datasets/tokens';
export * from './models/tokens';
export * from './training/tokens';

/**
 * Where the sidebar sits among the left-area tabs (the file browser is 100,
 * running sessions 200, the table of contents 400).
 */
const SIDEBAR_RANK = 600;

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-dl:plugin',
  description:
    'Adds the Deep Learning sidebar showing the platform version, store and GPUs.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyter_dl');

    const model = new PlatformInfoModel();
    const sidebar = new DeepLearningSidebar({ model, translator });
    app.shell.add(sidebar, 'left', { rank: SIDEBAR_RANK });
    if (restorer) {
      restorer.add(sidebar, SIDEBAR_ID);
    }
    // The panels of the platform open from the sidebar's toolbar, as icons:
    // the sidebar is narrow.
    sidebar.toolbar.insertBefore(
      'updated',
      'experiments',
      new CommandToolbarButton({
        commands: app.commands,
        id: ExperimentsCommandIDs.open,
        label: '',
        caption: trans.__('Open Experiments: tracked runs and their charts')
      })
    );
    sidebar.toolbar.insertAfter(
      'experiments',
      'datasets',
      new CommandToolbarButton({
        commands: app.commands,
        id: DatasetsCommandIDs.open,
        label: '',
        caption: trans.__('Open Datasets: versions, files and previews')
      })
    );
    sidebar.toolbar.insertAfter(
      'datasets',
      'training',
      new CommandToolbarButton({
        commands: app.commands,
        id: TrainingCommandIDs.open,
        label: '',
        caption: trans.__('Open Training: jobs, their logs, and sweeps')
      })
    );
    sidebar.toolbar.insertBefore(
      'updated',
      'models',
      new CommandToolbarButton({
        commands: app.commands,
        id: ModelsCommandIDs.open,
        label: '',
        caption: trans.__('Open Models: versions, deployments and monitoring')
      })
    );

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: trans.__('Open Deep Learning Sidebar'),
      caption: trans.__(
        'Show the platform version, store and GPUs of this server'
      ),
      icon: deepLearningIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => {
        app.shell.activateById(sidebar.id);
      }
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Deep Learning Panel'),
      caption: trans.__(
        'Load the Experiments, Datasets, Training or Models panel on show again, else the sidebar'
      ),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => {
        // The panels' code loads when first opened: they are recognised by
        // their class, not by importing it here.
        const current = app.shell.currentWidget;
        if (current?.hasClass(PANEL_CLASS)) {
          (current as unknown as IRefreshable).refresh();
        } else {
          void model.refresh();
        }
      }
    });
    if (palette) {
      for (const command of [CommandIDs.openSidebar, CommandIDs.refresh]) {
        palette.addItem({ command, category: trans.__('Deep Learning') });
      }
    }
  }
};

export default [
  plugin,
  experimentsPlugin,
  datasetsPlugin,
  trainingPlugin,
  modelsPlugin,
  quotaPlugin
];
