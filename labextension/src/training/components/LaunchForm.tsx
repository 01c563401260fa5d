/**
 * The launch form: a script or notebook of the server's folder, its
 * arguments, processes, GPUs (at most the server's), the backend, a name
 * and restarts. The server checks the request; a refusal is shown under
 * the field it is about, and the form stays as typed.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ErrorBanner, Spinner } from '../../shared/feedback';
import { LaunchField, LaunchModel } from '../launchModel';

export interface ILaunchFormProps {
  model: LaunchModel;
  onCancel: () => void;
  trans: TranslationBundle;
}

export function LaunchForm(props: ILaunchFormProps): JSX.Element {
  const { model, onCancel, trans } = props;
  const fields = model.fields;
  const errors = model.fieldErrors;
  const gpus = model.gpuCount;
  const backend = model.backends.find(b => b.name === fields.backend);
  const [showOptions, setShowOptions] = React.useState(
    fields.options.trim() !== ''
  );
  const first = React.useRef<HTMLInputElement>(null);

  React.useEffect(() => {
    first.current?.focus();
  }, []);

  const text = (
    field: LaunchField,
    label: string,
    help: string,
    input: React.ComponentPropsWithRef<'input'> = {}
  ): JSX.Element => (
    <Field field={field} label={label} help={help} error={errors[field]}>
      <input
        id={`jp-DLTraining-launch-${field}`}
        className="jp-DLTraining-input"
        type="text"
        value={fields[field]}
        onChange={event => model.set(field, event.target.value)}
        aria-invalid={errors[field] ? true : undefined}
        aria-describedby={`jp-DLTraining-launch-${field}-help`}
        disabled={model.isLaunching}
        data-testid={`dl-launch-${field}`}
        spellCheck={false}
        autoComplete="off"
        {...input}
      />
    </Field>
  );

  return (
    <form
      className="jp-DLTraining-detail jp-DLTraining-launch"
      data-testid="dl-launch-form"
      aria-busy={model.isLaunching}
      // The server checks the fields and says what is wrong, in the form.
      noValidate
      onSubmit={event => {
        event.preventDefault();
        void model.launch();
      }}
    >
      <header className="jp-DLTraining-header">
        <h2 className="jp-DLTraining-title">{trans.__('New training job')}</h2>
      </header>
      <p className="jp-DLTraining-intro">
        {trans.__(
          'Runs a script, or the code cells of a notebook, in every process with torch elastic; what rank 0 logs with dl.log goes to the job’s run.'
        )}
      </p>
      {model.setupError && (
        <ErrorBanner
          error={model.setupError}
          title={trans.__('Could not read the backends and GPUs.')}
          trans={trans}
          onRetry={() => void model.start()}
        />
      )}
      <div className="jp-DLTraining-formGrid">
        {text(
          'path',
          model.isNotebook ? trans.__('Notebook') : trans.__('Script'),
          trans.__(
            'A .py script or an .ipynb notebook, relative to the server’s root folder; the job runs in its folder.'
          ),
          { ref: first, placeholder: trans.__('train.py'), required: true }
        )}
        {text(
          'args',
          trans.__('Arguments'),
          model.isNotebook
            ? trans.__('The notebook’s sys.argv, split like a shell does.')
            : trans.__('The script’s command line, split like a shell does.'),
          { placeholder: trans.__('--epochs 10 --lr 0.01') }
        )}
        <div className="jp-DLTraining-formRow">
          {text(
            'nproc',
            trans.__('Processes'),
            trans.__('Ranks; empty: one per GPU, or one on CPU.'),
            { inputMode: 'numeric', placeholder: trans.__('auto') }
          )}
          {text(
            'gpus',
            trans.__('GPUs'),
            gpus === null
              ? trans.__('GPUs of the server to use.')
              : gpus === 0
                ? trans.__('This server has no GPUs: the job runs on CPU.')
                : trans.__(
                    'At most %1; empty: one per process, 0: CPU only.',
                    gpus
                  ),
            {
              type: 'number',
              min: 0,
              max: gpus ?? undefined,
              placeholder: gpus === 0 ? '0' : trans.__('auto'),
              disabled: model.isLaunching || gpus === 0
            }
          )}
          {text(
            'maxRestarts',
            trans.__('Max restarts'),
            trans.__('All ranks restart after a failure, this often.'),
            { inputMode: 'numeric' }
          )}
        </div>
        <div className="jp-DLTraining-formRow">
          <Field
            field="backend"
            label={trans.__('Backend')}
            help={backend?.description ?? ''}
            error={errors.backend}
          >
            <HTMLSelect
              id="jp-DLTraining-launch-backend"
              value={fields.backend}
              options={
                model.backends.length > 0
                  ? model.backends.map(b => ({ value: b.name, label: b.name }))
                  : [{ value: fields.backend, label: fields.backend }]
              }
              onChange={event => model.set('backend', event.target.value)}
              aria-describedby="jp-DLTraining-launch-backend-help"
              disabled={model.isLaunching}
              data-testid="dl-launch-backend"
            />
          </Field>
          {text(
            'name',
            trans.__('Name'),
            trans.__('The job’s and its run’s name; the file’s by default.'),
            { placeholder: defaultName(fields.path) }
          )}
        </div>
        {showOptions ? (
          <Field
            field="options"
            label={trans.__('Backend options')}
            help={trans.__(
              'One KEY=VALUE per line, e.g. address=tcp://scheduler:8786; numbers, booleans and lists are read as JSON.'
            )}
            error={errors.options}
          >
            <textarea
              id="jp-DLTraining-launch-options"
              className="jp-DLTraining-input jp-DLTraining-textarea"
              value={fields.options}
              rows={3}
              onChange={event => model.set('options', event.target.value)}
              aria-invalid={errors.options ? true : undefined}
              aria-describedby="jp-DLTraining-launch-options-help"
              disabled={model.isLaunching}
              spellCheck={false}
              data-testid="dl-launch-options"
            />
          </Field>
        ) : (
          <div>
            <button
              type="button"
              className="jp-DLPanel-linkButton"
              onClick={() => setShowOptions(true)}
              data-testid="dl-launch-show-options"
            >
              {trans.__('Backend options…')}
            </button>
          </div>
        )}
      </div>
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('The job was not launched.')}
          trans={trans}
        />
      )}
      <div className="jp-DLTraining-formActions">
        <button
          type="submit"
          className="jp-DLPanel-button jp-mod-accept"
          disabled={model.isLaunching || !fields.path.trim()}
          data-testid="dl-launch-submit"
        >
          {model.isLaunching && <Spinner />}
          <span>
            {model.isLaunching ? trans.__('Launching…') : trans.__('Launch')}
          </span>
        </button>
        <button
          type="button"
          className="jp-DLPanel-button"
          onClick={onCancel}
          disabled={model.isLaunching}
        >
          {trans.__('Cancel')}
        </button>
      </div>
    </form>
  );
}

/**
 * A labelled field, its help, and the server's message about it.
 */
function Field(props: {
  field: LaunchField;
  label: string;
  help: string;
  error?: string;
  children: React.ReactNode;
}): JSX.Element {
  const { children, error, field, help, label } = props;
  return (
    <div
      className={'jp-DLTraining-formField' + (error ? ' jp-mod-invalid' : '')}
      data-field={field}
    >
      <label
        className="jp-DLTraining-formLabel"
        htmlFor={`jp-DLTraining-launch-${field}`}
      >
        {label}
      </label>
      {children}
      {error ? (
        <div
          className="jp-DLTraining-fieldError"
          id={`jp-DLTraining-launch-${field}-help`}
          role="alert"
          data-testid="dl-launch-field-error"
          data-field={field}
        >
          {error}
        </div>
      ) : (
        <div
          className="jp-DLTraining-fieldHelp"
          id={`jp-DLTraining-launch-${field}-help`}
        >
          {help}
        </div>
      )}
    </div>
  );
}

/**
 * The name a job gets without one: its file's, without the extension.
 */
function defaultName(path: string): string {
  const file = path.trim().split('/').pop() ?? '';
  return file.replace(/\.(py|ipynb)$/i, '');
}
