/**
 * The plugin of the Experiments panel: its command (in the palette and the
 * launcher), a command that opens one run (what other panels link to; args `{id, project}`), one
 * panel at a time in the main area, restored with the layout
 * together with its project, and the columns chosen per project kept in
 * the state database.
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
import { ILauncher } from '@jupyterlab/launcher';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ReadonlyJSONObject } from '@lumino/coreutils';

import { ModelsCommandIDs } from '../models/tokens';
import { experimentsIcon } from './icons';
import type { ExperimentsPanel } from './panel';
import { ExperimentsCommandIDs } from './tokens';

/**
 * Where the chosen columns are kept in the state database.
 */
const COLUMNS_STATE_KEY = 'jupyter-dl:experiments-columns';

/**
 * Where the launcher card sits among the Deep Learning cards.
 */
const LAUNCHER_RANK = 10;

export const experimentsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-dl:experiments',
  description:
    'Adds the Experiments panel: tracked runs, their charts, and comparisons.',
  autoStart: true,
  optional: [
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    IStateDB,
    IThemeManager,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    state: IStateDB | null,
    themeManager: IThemeManager | null,
    translator: ITranslator | null
  ): void => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyter_dl');
    const tracker = new WidgetTracker<ExperimentsPanel>({
      namespace: 'jupyter-dl-experiments'
    });

    const savedColumns = async (): Promise<Record<string, string[]>> => {
      if (!state) {
        return {};
      }
      try {
        const saved = await state.fetch(COLUMNS_STATE_KEY);
        return (saved as Record<string, string[]> | undefined) ?? {};
      } catch {
        return {};
      }
    };

    const open = async (project: string | null): Promise<ExperimentsPanel> => {
      const existing = tracker.currentWidget;
      if (existing && !existing.isDisposed) {
        if (project && project !== existing.model.runs.project) {
          void existing.model.runs.setProject(project);
        }
        app.shell.activateById(existing.id);
        return existing;
      }
      // The panel and its chart library load when first opened, not at start.
      const [{ TrackingAPI }, { ExperimentsModel }, { ExperimentsPanel }] =
        await Promise.all([
          import('./api'),
          import('./model'),
          import('./panel')
        ]);
      const model = new ExperimentsModel({
        api: new TrackingAPI(app.serviceManager.serverSettings),
        columns: await savedColumns()
      });
      const panel = new ExperimentsPanel({
        model,
        translator,
        themeManager,
        // The Models panel publishes; without it runs offer no Publish button.
        onPublish: app.commands.hasCommand(ModelsCommandIDs.publishRun)
          ? (run, models) =>
              void app.commands.execute(ModelsCommandIDs.publishRun, {
                id: run.id,
                name: run.name,
                project: run.project,
                models
              })
          : null
      });
      model.runs.choicesChanged.connect(() => {
        void tracker.save(panel);
        if (state) {
          void state.save(
            COLUMNS_STATE_KEY,
            model.runs.savedColumns as ReadonlyJSONObject
          );
        }
      });
      void tracker.add(panel);
      app.shell.add(panel, 'main');
      app.shell.activateById(panel.id);
      void model.start(project);
      return panel;
    };

    app.commands.addCommand(ExperimentsCommandIDs.open, {
      label: args =>
        args.isLauncher
          ? trans.__('Experiments')
          : trans.__('Open Experiments'),
      caption: trans.__(
        'Browse tracked runs: sort and filter them, see their charts, compare them'
      ),
      icon: args => (args.isPalette ? undefined : experimentsIcon),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            project: {
              type: 'string',
              description: trans.__('The project whose runs to show')
            }
          }
        }
      },
      execute: async args => {
        const project =
          typeof args.project === 'string' && args.project
            ? args.project
            : null;
        await open(project);
      }
    });

    app.commands.addCommand(ExperimentsCommandIDs.openRun, {
      label: trans.__('Open Run'),
      caption: trans.__('Open a run in the Experiments panel'),
      icon: args => (args.isPalette ? undefined : experimentsIcon),
      describedBy: {
        args: {
          type: 'object',
          required: ['id'],
          properties: {
            id: {
              type: 'string',
              description: trans.__('The id of the run to open')
            },
            project: {
              type: 'string',
              description: trans.__('Its project, whose runs Back returns to')
            }
          }
        }
      },
      execute: async args => {
        if (typeof args.id !== 'string' || !args.id) {
          return;
        }
        const project =
          typeof args.project === 'string' && args.project
            ? args.project
            : null;
        const panel = await open(project);
        panel.model.openRun(args.id);
      }
    });

    if (palette) {
      palette.addItem({
        command: ExperimentsCommandIDs.open,
        category: trans.__('Deep Learning')
      });
    }
    if (launcher) {
      launcher.add({
        command: ExperimentsCommandIDs.open,
        category: trans.__('Deep Learning'),
        rank: LAUNCHER_RANK
      });
    }
    if (restorer) {
      void restorer.restore(tracker, {
        command: ExperimentsCommandIDs.open,
        args: panel => ({ project: panel.model.runs.project ?? '' }),
        name: () => 'experiments'
      });
    }
  }
};
