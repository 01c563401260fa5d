/**
 * The plugin of the Datasets panel: its command (in the palette and the
 * launcher), one panel at a time in the main area, restored with the layout
 * together with its dataset and version, code inserted into the notebook
 * last worked in, and runs of the lineage opened in the Experiments panel.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ExperimentsCommandIDs } from '../experiments/tokens';
import { datasetsIcon } from './icons';
import type { DatasetsPanel } from './panel';
import { DatasetsCommandIDs } from './tokens';

/**
 * Where the launcher card sits among the Deep Learning cards: after
 * Experiments.
 */
const LAUNCHER_RANK = 20;

export const datasetsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-dl:datasets',
  description:
    'Adds the Datasets panel: the catalog, versions, files with previews, diffs and lineage.',
  autoStart: true,
  optional: [
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    INotebookTracker,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    notebooks: INotebookTracker | null,
    translator: ITranslator | null
  ): void => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyter_dl');
    const tracker = new WidgetTracker<DatasetsPanel>({
      namespace: 'jupyter-dl-datasets'
    });

    const open = async (
      dataset: string | null,
      version: string | null
    ): Promise<DatasetsPanel> => {
      const existing = tracker.currentWidget;
      if (existing && !existing.isDisposed) {
        if (dataset) {
          existing.model.open(dataset, version);
        }
        app.shell.activateById(existing.id);
        return existing;
      }
      // The panel's code loads when it is first opened, not at start.
      const [{ DatasetsAPI }, { DatasetsModel }, { DatasetsPanel }, snippet] =
        await Promise.all([
          import('./api'),
          import('./model'),
          import('./panel'),
          import('./snippet')
        ]);
      const model = new DatasetsModel({
        api: new DatasetsAPI(app.serviceManager.serverSettings)
      });
      const panel = new DatasetsPanel({
        model,
        translator,
        snippet: notebooks
          ? new snippet.NotebookSnippetTarget(notebooks, trans)
          : null,
        onOpenRun: (id, project) =>
          void app.commands.execute(ExperimentsCommandIDs.openRun, {
            id,
            project
          })
      });
      // The layout keeps the dataset and version on show; saved when they change.
      let saved = '';
      const save = (): void => {
        const shown = `${model.dataset?.name ?? ''}@${model.dataset?.version?.ref ?? ''}`;
        if (shown !== saved) {
          saved = shown;
          void tracker.save(panel);
        }
      };
      model.changed.connect(() => {
        save();
        model.dataset?.changed.connect(save);
      });
      void tracker.add(panel);
      app.shell.add(panel, 'main');
      app.shell.activateById(panel.id);
      void model.start(dataset, version);
      return panel;
    };

    app.commands.addCommand(DatasetsCommandIDs.open, {
      label: args =>
        args.isLauncher ? trans.__('Datasets') : trans.__('Open Datasets'),
      caption: trans.__(
        'Browse versioned datasets: their files, previews, history and changes'
      ),
      icon: args => (args.isPalette ? undefined : datasetsIcon),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            dataset: {
              type: 'string',
              description: trans.__('The dataset to show')
            },
            version: {
              type: 'string',
              description: trans.__(
                'Its version to show: a tag, a commit id or latest'
              )
            }
          }
        }
      },
      execute: async args => {
        const text = (value: unknown): string | null =>
          typeof value === 'string' && value ? value : null;
        await open(text(args.dataset), text(args.version));
      }
    });

    if (palette) {
      palette.addItem({
        command: DatasetsCommandIDs.open,
        category: trans.__('Deep Learning')
      });
    }
    if (launcher) {
      launcher.add({
        command: DatasetsCommandIDs.open,
        category: trans.__('Deep Learning'),
        rank: LAUNCHER_RANK
      });
    }
    if (restorer) {
      void restorer.restore(tracker, {
        command: DatasetsCommandIDs.open,
        args: panel => ({
          dataset: panel.model.dataset?.name ?? '',
          version: panel.model.dataset?.version?.ref ?? ''
        }),
        name: () => 'datasets'
      });
    }
  }
};
