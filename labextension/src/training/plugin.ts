/**
 * The plugin of the Training panel: its commands (open the panel, launch a
 * job, open one job) in the palette and the launcher, "Train with
 * jupyter-dl…" on `.py` and `.ipynb` files in the file browser, one panel
 * at a time in the main area restored with the layout, and runs of jobs
 * and trials opened in the Experiments panel.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IThemeManager,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ExperimentsCommandIDs } from '../experiments/tokens';
import { trainingIcon } from './icons';
import type { TrainingPanel } from './panel';
import { TrainingCommandIDs } from './tokens';

/**
 * Where the launcher cards sit among the Deep Learning cards: after
 * Experiments and Datasets.
 */
const LAUNCHER_RANK = 30;

/**
 * Files a job can run.
 */
const TRAINABLE = /\.(py|ipynb)$/i;

export const trainingPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-dl:training',
  description:
    'Adds the Training panel: jobs with their live logs, the launch form, and sweeps.',
  autoStart: true,
  optional: [
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    IDefaultFileBrowser,
    IThemeManager,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    fileBrowser: IDefaultFileBrowser | null,
    themeManager: IThemeManager | null,
    translator: ITranslator | null
  ): void => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyter_dl');
    const tracker = new WidgetTracker<TrainingPanel>({
      namespace: 'jupyter-dl-training'
    });

    const open = async (): Promise<TrainingPanel> => {
      const existing = tracker.currentWidget;
      if (existing && !existing.isDisposed) {
        app.shell.activateById(existing.id);
        return existing;
      }
      // The panel and its chart library load when first opened, not at start.
      const [{ TrainingAPI }, { TrainingModel }, { TrainingPanel }] =
        await Promise.all([
          import('./api'),
          import('./model'),
          import('./panel')
        ]);
      const model = new TrainingModel({
        api: new TrainingAPI(app.serviceManager.serverSettings)
      });
      const panel = new TrainingPanel({
        model,
        translator,
        themeManager,
        onOpenRun: (id, project) =>
          void app.commands.execute(ExperimentsCommandIDs.openRun, {
            id,
            ...(project ? { project } : {})
          })
      });
      void tracker.add(panel);
      app.shell.add(panel, 'main');
      app.shell.activateById(panel.id);
      void model.start();
      return panel;
    };

    const text = (value: unknown): string | null =>
      typeof value === 'string' && value ? value : null;

    app.commands.addCommand(TrainingCommandIDs.open, {
      label: args =>
        args.isLauncher ? trans.__('Training') : trans.__('Open Training'),
      caption: trans.__(
        'Training jobs with their live logs, launching a script or notebook, and sweeps'
      ),
      icon: args => (args.isPalette ? undefined : trainingIcon),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: async () => {
        await open();
      }
    });

    app.commands.addCommand(TrainingCommandIDs.launch, {
      label: args =>
        args.isLauncher
          ? trans.__('New Training Job')
          : trans.__('Launch Training Job'),
      caption: trans.__(
        'Run a script or notebook as a distributed training job: processes, GPUs, backend'
      ),
      icon: args => (args.isPalette ? undefined : trainingIcon),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            path: {
              type: 'string',
              description: trans.__(
                'The .py or .ipynb to run, relative to the server’s root folder'
              )
            }
          }
        }
      },
      execute: async args => {
        const panel = await open();
        panel.model.openLaunch(text(args.path));
      }
    });

    app.commands.addCommand(TrainingCommandIDs.openJob, {
      label: trans.__('Open Training Job'),
      caption: trans.__('Open a job and follow its log in the Training panel'),
      icon: args => (args.isPalette ? undefined : trainingIcon),
      describedBy: {
        args: {
          type: 'object',
          required: ['id'],
          properties: {
            id: { type: 'string', description: trans.__('The job’s id') }
          }
        }
      },
      execute: async args => {
        const id = text(args.id);
        if (id) {
          const panel = await open();
          panel.model.openJob(id);
        }
      }
    });

    if (fileBrowser) {
      const selected = (): string | null => {
        const item = fileBrowser.selectedItems().next();
        const model = item && !item.done ? item.value : null;
        return model && model.type !== 'directory' && TRAINABLE.test(model.path)
          ? model.path
          : null;
      };
      app.commands.addCommand(TrainingCommandIDs.trainFile, {
        label: trans.__('Train with jupyter-dl…'),
        caption: trans.__(
          'Open the launch form of the Training panel for this file'
        ),
        icon: trainingIcon,
        isVisible: () => selected() !== null,
        describedBy: { args: { type: 'object', properties: {} } },
        execute: async () => {
          const path = selected();
          if (path) {
            await app.commands.execute(TrainingCommandIDs.launch, { path });
          }
        }
      });
      app.contextMenu.addItem({
        command: TrainingCommandIDs.trainFile,
        selector: '.jp-DirListing-item[data-isdir="false"]',
        rank: 60
      });
    }

    if (palette) {
      for (const command of [
        TrainingCommandIDs.open,
        TrainingCommandIDs.launch
      ]) {
        palette.addItem({ command, category: trans.__('Deep Learning') });
      }
    }
    if (launcher) {
      launcher.add({
        command: TrainingCommandIDs.open,
        category: trans.__('Deep Learning'),
        rank: LAUNCHER_RANK
      });
    }
    if (restorer) {
      void restorer.restore(tracker, {
        command: TrainingCommandIDs.open,
        name: () => 'training'
      });
    }
  }
};
