/**
 * The plugin of the Models panel: its command (in the palette and the
 * launcher; args open a model at a version, or a deployment), one panel at
 * a time in the main area, restored with the layout together with what it
 * showed, lineage opened in the Experiments and Datasets panels, and the
 * command the Experiments panel's Publish button runs.
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
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { DatasetsCommandIDs } from '../datasets/tokens';
import { ExperimentsCommandIDs } from '../experiments/tokens';
import { modelsIcon } from './icons';
import type { ModelsPanel } from './panel';
import { ModelsCommandIDs } from './tokens';

/**
 * Where the launcher card sits among the Deep Learning cards: last.
 */
const LAUNCHER_RANK = 40;

export const modelsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-dl:models',
  description:
    'Adds the Models panel: registered models, their versions and aliases, deployments with monitoring and a form to try them.',
  autoStart: true,
  optional: [
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    IThemeManager,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    themeManager: IThemeManager | null,
    translator: ITranslator | null
  ): void => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyter_dl');
    const tracker = new WidgetTracker<ModelsPanel>({
      namespace: 'jupyter-dl-models'
    });

    const open = async (what: {
      model: string | null;
      version: number | null;
      deployment: string | null;
    }): Promise<ModelsPanel> => {
      const existing = tracker.currentWidget;
      if (existing && !existing.isDisposed) {
        if (what.model) {
          existing.model.openModel(what.model, what.version);
        }
        if (what.deployment) {
          existing.model.openDeployment(what.deployment);
        }
        app.shell.activateById(existing.id);
        return existing;
      }
      // The panel and its chart library load when first opened, not at start.
      const [{ RegistryAPI }, { ModelsModel }, { ModelsPanel }] =
        await Promise.all([
          import('./api'),
          import('./model'),
          import('./panel')
        ]);
      const model = new ModelsModel({
        api: new RegistryAPI(app.serviceManager.serverSettings)
      });
      const panel = new ModelsPanel({
        model,
        translator,
        themeManager,
        onOpenRun: (id, project) =>
          void app.commands.execute(ExperimentsCommandIDs.openRun, {
            id,
            project
          }),
        onOpenDataset: app.commands.hasCommand(DatasetsCommandIDs.open)
          ? (dataset, version) =>
              void app.commands.execute(DatasetsCommandIDs.open, {
                dataset,
                version
              })
          : null
      });
      // The layout keeps the model or deployment on show.
      let saved = '';
      model.changed.connect(() => {
        const shown = `${model.model?.name ?? ''}/${model.deployment?.id ?? ''}`;
        if (shown !== saved) {
          saved = shown;
          void tracker.save(panel);
        }
      });
      void tracker.add(panel);
      app.shell.add(panel, 'main');
      app.shell.activateById(panel.id);
      void model.start(what);
      return panel;
    };

    const text = (value: unknown): string | null =>
      typeof value === 'string' && value ? value : null;

    app.commands.addCommand(ModelsCommandIDs.open, {
      label: args =>
        args.isLauncher ? trans.__('Models') : trans.__('Open Models'),
      caption: trans.__(
        'Browse registered models and their versions; deploy, watch and try them'
      ),
      icon: args => (args.isPalette ? undefined : modelsIcon),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            model: {
              type: 'string',
              description: trans.__('The model to show')
            },
            version: {
              type: 'number',
              description: trans.__(
                'Its version to show; the newest by default'
              )
            },
            deployment: {
              type: 'string',
              description: trans.__('The id of a deployment to show')
            }
          }
        }
      },
      execute: async args => {
        const version = Number(args.version);
        await open({
          model: text(args.model),
          version: Number.isInteger(version) && version > 0 ? version : null,
          deployment: text(args.deployment)
        });
      }
    });

    app.commands.addCommand(ModelsCommandIDs.publishRun, {
      label: trans.__('Publish Model of Run…'),
      caption: trans.__(
        'Publish a model a run kept with run.log_model as the next version of a registered model'
      ),
      icon: args => (args.isPalette ? undefined : modelsIcon),
      describedBy: {
        args: {
          type: 'object',
          required: ['id', 'models'],
          properties: {
            id: { type: 'string', description: trans.__('The run id') },
            name: { type: 'string', description: trans.__('The run name') },
            project: {
              type: 'string',
              description: trans.__('Its project, the default model name')
            },
            models: {
              type: 'array',
              items: { type: 'string' },
              description: trans.__(
                'The model folders the run kept, e.g. models/model'
              )
            }
          }
        }
      },
      execute: async args => {
        const id = text(args.id);
        const models = Array.isArray(args.models)
          ? args.models.filter((m): m is string => typeof m === 'string')
          : [];
        if (!id || models.length === 0) {
          return null;
        }
        const [{ RegistryAPI }, { publishRunDialog }] = await Promise.all([
          import('./api'),
          import('./dialogs')
        ]);
        const version = await publishRunDialog({
          api: new RegistryAPI(app.serviceManager.serverSettings),
          run: {
            id,
            name: text(args.name) ?? id,
            project: text(args.project) ?? 'model'
          },
          models,
          onOpen: (model, number) =>
            void app.commands.execute(ModelsCommandIDs.open, {
              model,
              version: number
            }),
          trans
        });
        if (version) {
          void tracker.currentWidget?.model.modelChanged(version.model);
        }
        return version;
      }
    });

    if (palette) {
      palette.addItem({
        command: ModelsCommandIDs.open,
        category: trans.__('Deep Learning')
      });
    }
    if (launcher) {
      launcher.add({
        command: ModelsCommandIDs.open,
        category: trans.__('Deep Learning'),
        rank: LAUNCHER_RANK
      });
    }
    if (restorer) {
      void restorer.restore(tracker, {
        command: ModelsCommandIDs.open,
        args: panel => ({
          model: panel.model.model?.name ?? '',
          deployment: panel.model.deployment?.id ?? ''
        }),
        name: () => 'models'
      });
    }
  }
};
