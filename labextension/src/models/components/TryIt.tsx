/**
 * "Try it": an inference request in the Open Inference Protocol's JSON,
 * prefilled with the version's example, sent to the deployment through the
 * Jupyter server; the answer's outputs as a table (and the raw JSON), or the
 * deployment's reason for refusing the request.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ErrorBanner, Spinner } from '../../shared/feedback';
import { formatValue } from '../../shared/format';
import { DeploymentModel } from '../deploymentModel';
import { IInferTensor } from '../tokens';
import { formatShape } from './VersionDetail';

/**
 * How many values of an output the table shows.
 */
const SHOWN_VALUES = 24;

export function TryIt(props: {
  model: DeploymentModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const running = model.deployment?.status === 'running';
  const send = (): void => {
    if (running && !model.isSending) {
      void model.send();
    }
  };
  return (
    <section
      className="jp-DLModels-tryIt"
      aria-label={trans.__('Try it')}
      data-testid="dl-try-it"
    >
      <h3 className="jp-DLModels-subheading">{trans.__('Try it')}</h3>
      <div className="jp-DLModels-tryItGrid">
        <div className="jp-DLModels-tryItRequest">
          <label
            className="jp-DLModels-fieldLabel"
            htmlFor={`jp-DLModels-request-${model.id}`}
          >
            {trans.__('Request (Open Inference Protocol JSON)')}
          </label>
          <textarea
            id={`jp-DLModels-request-${model.id}`}
            className="jp-DLModels-textArea jp-mod-code"
            value={model.request}
            rows={8}
            spellCheck={false}
            placeholder={
              model.exampleError
                ? trans.__(
                    '{"inputs": [{"name": …, "datatype": …, "shape": …, "data": […]}]}'
                  )
                : trans.__('Loading the example…')
            }
            onChange={event => {
              model.request = event.target.value;
            }}
            onKeyDown={event => {
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                send();
              }
            }}
            data-testid="dl-try-request"
          />
          <div className="jp-DLModels-formActions">
            <button
              type="button"
              className="jp-DLPanel-button jp-mod-accept"
              disabled={!running || model.isSending}
              onClick={send}
              title={
                running
                  ? trans.__('Send the request (Ctrl+Enter)')
                  : trans.__('The deployment is not running')
              }
              data-testid="dl-try-send"
            >
              {model.isSending && <Spinner />}
              {trans.__('Send')}
            </button>
            <button
              type="button"
              className="jp-DLPanel-button"
              disabled={
                model.example === null || model.example === model.request
              }
              onClick={() => model.resetRequest()}
              data-testid="dl-try-reset"
            >
              {trans.__('Reset to example')}
            </button>
            <span className="jp-DLModels-hint">
              {trans.__('Ctrl+Enter sends')}
            </span>
          </div>
          {model.exampleError && (
            <ErrorBanner
              error={model.exampleError}
              title={trans.__('Could not load the example request.')}
              trans={trans}
            />
          )}
        </div>
        <div
          className="jp-DLModels-tryItResponse"
          aria-live="polite"
          data-testid="dl-try-response"
        >
          <div className="jp-DLModels-fieldLabel">{trans.__('Response')}</div>
          <Response model={model} trans={trans} />
        </div>
      </div>
    </section>
  );
}

function Response(props: {
  model: DeploymentModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  if (model.tryError) {
    return (
      <ErrorBanner
        error={model.tryError}
        title={
          model.tryError.status === 400
            ? trans.__('The model refused the request.')
            : trans.__('The request got no answer.')
        }
        trans={trans}
      />
    );
  }
  const result = model.result;
  if (result === null) {
    return (
      <div className="jp-DLModels-muted jp-DLModels-responseHint">
        {model.isSending
          ? trans.__('Waiting for the answer…')
          : trans.__('Send the request to see what the model answers.')}
      </div>
    );
  }
  const { response, elapsed } = result;
  return (
    <div className="jp-DLModels-result" data-testid="dl-try-result">
      <div className="jp-DLModels-resultLine">
        {trans.__(
          'Answered in %1 ms by %2',
          Math.round(elapsed),
          [response.model_name, response.model_version]
            .filter(Boolean)
            .join(' v')
        )}
      </div>
      <table
        className="jp-DLModels-table jp-mod-wide"
        aria-label={trans.__('Outputs')}
        data-testid="dl-try-outputs"
      >
        <thead>
          <tr>
            <th scope="col">{trans.__('Output')}</th>
            <th scope="col">{trans.__('Type')}</th>
            <th scope="col">{trans.__('Shape')}</th>
            <th scope="col">{trans.__('Values')}</th>
          </tr>
        </thead>
        <tbody>
          {response.outputs.map(output => (
            <tr key={output.name} data-testid="dl-try-output">
              <td>
                <code>{output.name}</code>
              </td>
              <td>
                <code>{output.datatype}</code>
              </td>
              <td title={JSON.stringify(output.shape)}>
                {formatShape(output.shape, trans)}
              </td>
              <td className="jp-DLModels-values">
                {formatValues(output, trans)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <details className="jp-DLModels-rawJSON">
        <summary>{trans.__('Raw JSON')}</summary>
        <pre>{JSON.stringify(response, null, 2)}</pre>
      </details>
    </div>
  );
}

/**
 * The first values of an output, with how many more there are.
 */
function formatValues(output: IInferTensor, trans: TranslationBundle): string {
  const shown = output.data.slice(0, SHOWN_VALUES).map(formatValue).join(', ');
  const more = output.data.length - SHOWN_VALUES;
  return more > 0 ? trans.__('%1, … %2 more', shown, more) : shown;
}
