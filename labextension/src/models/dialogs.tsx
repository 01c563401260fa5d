/**
 * The two forms that open in a dialog: deploy a version (what to serve,
 * port, batching), and publish the model a run kept (name, folder,
 * aliases). A form the server refuses opens again with the server's
 * reason above the values as they were entered.
 */
import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { asPlatformError } from '../shared/errors';
import { Field, FormError, formDialog } from '../shared/form';
import { IRegistryAPI } from './api';
import {
  ALIAS_PATTERN,
  IDeployOptions,
  IModelVersion,
  MODEL_NAME_PATTERN
} from './tokens';

/**
 * What the deploy form holds; numbers as typed.
 */
interface IDeployForm {
  ref: string;
  port: string;
  maxBatchSize: string;
  maxWaitMs: string;
  device: string;
}

/**
 * The deploy form's values as the API takes them, or what is wrong.
 */
export function deployOptions(
  form: IDeployForm,
  trans: TranslationBundle
): IDeployOptions | string {
  const integer = (text: string): number | null =>
    /^\s*\d+\s*$/.test(text) ? Number(text) : null;
  const port = integer(form.port);
  if (port === null || port > 65535) {
    return trans.__(
      'The port must be a number from 0 (any free port) to 65535.'
    );
  }
  const batch = integer(form.maxBatchSize);
  if (batch === null || batch < 1) {
    return trans.__('The max batch size must be a whole number of at least 1.');
  }
  const wait = Number(form.maxWaitMs);
  if (form.maxWaitMs.trim() === '' || !Number.isFinite(wait) || wait < 0) {
    return trans.__(
      'The max wait must be a number of milliseconds, 0 or more.'
    );
  }
  return {
    port,
    max_batch_size: batch,
    max_wait_ms: wait,
    device: form.device.trim() || null
  };
}

/**
 * Ask how to deploy `version` (as itself or as one of its aliases) and
 * start the deployment with `deploy`; resolves once started or cancelled.
 */
export async function deployDialog(options: {
  version: IModelVersion;
  /**
   * The aliases pointing at the version now.
   */
  aliases: string[];
  deploy: (ref: string, options: IDeployOptions) => Promise<unknown>;
  trans: TranslationBundle;
}): Promise<boolean> {
  const { aliases, deploy, trans, version } = options;
  const refs = [
    {
      value: `${version.model}:${version.version}`,
      label: trans.__('version %1', version.version)
    },
    ...aliases.map(alias => ({
      value: `${version.model}@${alias}`,
      label: trans.__('alias %1 (now version %2)', alias, version.version)
    }))
  ];
  return formDialog<IDeployForm>({
    title: trans.__('Deploy %1', version.model),
    accept: trans.__('Deploy'),
    initial: {
      ref: refs[0].value,
      port: '0',
      maxBatchSize: '32',
      maxWaitMs: '0',
      device: ''
    },
    trans,
    render: (form, onChange, error) => (
      <div className="jp-DLForm" data-testid="dl-deploy-form">
        <FormError error={error} />
        <Field
          label={trans.__('Serve')}
          hint={trans.__(
            'A deployment of an alias records the alias; it keeps serving the version it started with.'
          )}
        >
          <HTMLSelect
            value={form.ref}
            onChange={event => onChange({ ...form, ref: event.target.value })}
            options={refs}
            aria-label={trans.__('What to serve')}
            data-testid="dl-deploy-ref"
          />
        </Field>
        <Field label={trans.__('Port')} hint={trans.__('0 picks a free port')}>
          <input
            className="jp-mod-styled"
            type="number"
            min={0}
            max={65535}
            value={form.port}
            onChange={event => onChange({ ...form, port: event.target.value })}
            data-testid="dl-deploy-port"
          />
        </Field>
        <Field
          label={trans.__('Max batch size')}
          hint={trans.__('Requests answered together in one call of the model')}
        >
          <input
            className="jp-mod-styled"
            type="number"
            min={1}
            value={form.maxBatchSize}
            onChange={event =>
              onChange({ ...form, maxBatchSize: event.target.value })
            }
            data-testid="dl-deploy-batch"
          />
        </Field>
        <Field
          label={trans.__('Max wait (ms)')}
          hint={trans.__(
            'How long a request may wait for others to batch with; 0 batches only what is already waiting'
          )}
        >
          <input
            className="jp-mod-styled"
            type="number"
            min={0}
            step="any"
            value={form.maxWaitMs}
            onChange={event =>
              onChange({ ...form, maxWaitMs: event.target.value })
            }
            data-testid="dl-deploy-wait"
          />
        </Field>
        <Field
          label={trans.__('Device')}
          hint={trans.__(
            'A torch device such as cpu or cuda:0; empty for the default'
          )}
        >
          <input
            className="jp-mod-styled"
            type="text"
            value={form.device}
            placeholder={trans.__('default')}
            onChange={event =>
              onChange({ ...form, device: event.target.value })
            }
            data-testid="dl-deploy-device"
          />
        </Field>
      </div>
    ),
    submit: async form => {
      const checked = deployOptions(form, trans);
      if (typeof checked === 'string') {
        return checked;
      }
      try {
        await deploy(form.ref, checked);
        return null;
      } catch (reason) {
        return asPlatformError(reason, 'deployments').message;
      }
    }
  });
}

/**
 * What the publish form holds.
 */
interface IPublishForm {
  name: string;
  artifact: string;
  aliases: string;
  description: string;
}

/**
 * A model name from a project name: characters a name cannot hold become `-`.
 */
export function modelNameFor(project: string): string {
  const name = project
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return name || 'model';
}

/**
 * The aliases typed (separated by commas or spaces), or what is wrong.
 */
export function parseAliases(
  text: string,
  trans: TranslationBundle
): string[] | string {
  const aliases = text
    .split(/[\s,]+/)
    .map(alias => alias.trim())
    .filter(Boolean);
  const bad = aliases.find(alias => !ALIAS_PATTERN.test(alias));
  if (bad !== undefined) {
    return trans.__(
      'Alias “%1” is not valid: lower-case letters, digits, - and _, starting with a letter.',
      bad
    );
  }
  return [...new Set(aliases)];
}

/**
 * Publish what a run kept with `run.log_model` as the next version of a
 * model: ask for the name, folder and aliases, then publish, saying so in
 * a notification with a way to open the version. Resolves with the version,
 * or `null` when cancelled.
 */
export async function publishRunDialog(options: {
  api: IRegistryAPI;
  run: { id: string; name: string; project: string };
  /**
   * The model folders the run kept, e.g. `models/model`.
   */
  models: string[];
  /**
   * Show the published version.
   */
  onOpen: (name: string, version: number) => void;
  trans: TranslationBundle;
}): Promise<IModelVersion | null> {
  const { api, models, onOpen, run, trans } = options;
  let published: IModelVersion | null = null;
  const folders = models.map(path => ({
    value: path,
    label: path.replace(/^models\//, '')
  }));
  await formDialog<IPublishForm>({
    title: trans.__('Publish a model of run %1', run.name),
    accept: trans.__('Publish'),
    initial: {
      name: modelNameFor(run.project),
      artifact: models[0] ?? 'models/model',
      aliases: 'staging',
      description: ''
    },
    trans,
    render: (form, onChange, error) => (
      <div className="jp-DLForm" data-testid="dl-publish-form">
        <FormError error={error} />
        <Field
          label={trans.__('Model name')}
          hint={trans.__(
            'A new version of this model; the model is created if it does not exist'
          )}
        >
          <input
            className="jp-mod-styled"
            type="text"
            value={form.name}
            onChange={event => onChange({ ...form, name: event.target.value })}
            data-testid="dl-publish-name"
          />
        </Field>
        {folders.length > 1 && (
          <Field label={trans.__('Model folder of the run')}>
            <HTMLSelect
              value={form.artifact}
              onChange={event =>
                onChange({ ...form, artifact: event.target.value })
              }
              options={folders}
              aria-label={trans.__('Which model of the run')}
              data-testid="dl-publish-folder"
            />
          </Field>
        )}
        <Field
          label={trans.__('Aliases')}
          hint={trans.__('Separated by commas; they move to the new version')}
        >
          <input
            className="jp-mod-styled"
            type="text"
            value={form.aliases}
            onChange={event =>
              onChange({ ...form, aliases: event.target.value })
            }
            data-testid="dl-publish-aliases"
          />
        </Field>
        <Field label={trans.__('Description of the version')}>
          <input
            className="jp-mod-styled"
            type="text"
            value={form.description}
            placeholder={trans.__('optional')}
            onChange={event =>
              onChange({ ...form, description: event.target.value })
            }
            data-testid="dl-publish-description"
          />
        </Field>
      </div>
    ),
    submit: async form => {
      const name = form.name.trim();
      if (!MODEL_NAME_PATTERN.test(name)) {
        return trans.__(
          'The model name must start with a letter or digit and hold only letters, digits, ., - and _ (at most 128).'
        );
      }
      const aliases = parseAliases(form.aliases, trans);
      if (typeof aliases === 'string') {
        return aliases;
      }
      const id = Notification.emit(
        trans.__('Publishing run %1 as %2…', run.name, name),
        'in-progress',
        { autoClose: false }
      );
      try {
        published = await api.publish(name, {
          run_id: run.id,
          artifact: form.artifact,
          aliases,
          description: form.description.trim()
        });
      } catch (reason) {
        Notification.dismiss(id);
        return asPlatformError(reason, `models/${name}/versions`).message;
      }
      const version = published;
      Notification.update({
        id,
        message: trans.__(
          'Published %1 version %2 from run %3.',
          version.model,
          version.version,
          run.name
        ),
        type: 'success',
        autoClose: 10000,
        actions: [
          {
            label: trans.__('Open in Models'),
            callback: () => onOpen(version.model, version.version)
          }
        ]
      });
      return null;
    }
  });
  return published;
}
