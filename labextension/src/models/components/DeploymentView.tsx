/**
 * One deployment: its status, where it listens and how it serves, who
 * started it and for how long it has run, Stop; while it starts, how far
 * it got; while it runs, its monitoring charts and the "try it" form; and
 * the end of its log.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, stopIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ErrorBanner, Loading, Spinner } from '../../shared/feedback';
import {
  formatDuration,
  formatNumber,
  formatTime,
  formatTimeAgo
} from '../../shared/format';
import { DeploymentModel } from '../deploymentModel';
import { IDeployment } from '../tokens';
import { DeploymentStatusBadge } from './badges';
import { MonitoringCharts } from './MonitoringCharts';
import { TryIt } from './TryIt';

export interface IDeploymentViewProps {
  model: DeploymentModel;
  /**
   * Show the model (at the version) the deployment serves.
   */
  onOpenModel: (name: string, version: number) => void;
  trans: TranslationBundle;
}

export function DeploymentView(props: IDeploymentViewProps): JSX.Element {
  const { model, onOpenModel, trans } = props;
  const deployment = model.deployment;
  if (deployment === null) {
    return (
      <div className="jp-DLModels-deployment" data-testid="dl-deployment-view">
        {model.error ? (
          <ErrorBanner
            error={model.error}
            title={trans.__('Could not load deployment %1.', model.id)}
            trans={trans}
            onRetry={() => void model.refresh()}
          />
        ) : (
          <Loading text={trans.__('Loading deployment…')} />
        )}
      </div>
    );
  }

  const confirmStop = async (): Promise<void> => {
    const result = await showDialog({
      title: trans.__('Stop deployment?'),
      body: trans.__(
        'Stop serving %1 at %2? Requests in flight are answered first; new ones are refused.',
        deployment.ref,
        deployment.url ?? trans.__('its port')
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Stop') })
      ]
    });
    if (result.button.accept) {
      await model.stop();
    }
  };

  const live =
    deployment.status === 'starting' || deployment.status === 'running';
  return (
    <div
      className="jp-DLModels-deployment"
      data-testid="dl-deployment-view"
      data-deployment-id={deployment.id}
      data-status={deployment.status}
    >
      <header className="jp-DLModels-header">
        <div className="jp-DLModels-titleRow">
          <h2 className="jp-DLModels-title" data-testid="dl-deployment-ref">
            {deployment.ref}
          </h2>
          <DeploymentStatusBadge status={deployment.status} trans={trans} />
          <span className="jp-DLPanel-spacer" />
          {(model.isLoading || model.isStopping) && (
            <Spinner label={trans.__('Working')} />
          )}
          {live && (
            <button
              type="button"
              className="jp-DLPanel-button jp-mod-warn"
              disabled={model.isStopping}
              onClick={() => void confirmStop()}
              data-testid="dl-deployment-stop"
            >
              <stopIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
              <span>{trans.__('Stop')}</span>
            </button>
          )}
        </div>
        <Facts
          deployment={deployment}
          onOpenModel={onOpenModel}
          trans={trans}
        />
      </header>
      {model.stopError && (
        <ErrorBanner
          error={model.stopError}
          title={trans.__('Could not stop the deployment.')}
          trans={trans}
          onRetry={() => void model.stop()}
        />
      )}
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('Could not refresh the deployment.')}
          trans={trans}
          onRetry={() => void model.refresh()}
        />
      )}
      {deployment.status === 'starting' && (
        <div
          className="jp-DLModels-progress"
          role="status"
          data-testid="dl-deployment-progress"
        >
          <Spinner />
          <span>
            {trans.__(
              'Starting: loading version %1 of %2 and opening its port (%3 so far). The log below shows how far it got.',
              deployment.version,
              deployment.model ?? '',
              formatDuration(
                (Date.now() - Date.parse(deployment.created_at)) / 1000
              ) || '0 s'
            )}
          </span>
        </div>
      )}
      {deployment.status === 'failed' && (
        <div
          className="jp-DLPanel-error"
          role="alert"
          data-testid="dl-deployment-failure"
        >
          <div className="jp-DLPanel-errorTitle">
            {trans.__('The deployment failed.')}
          </div>
          <div className="jp-DLPanel-errorMessage">
            {deployment.error ?? trans.__('See the log below.')}
          </div>
        </div>
      )}
      {(deployment.status === 'running' || model.readings.length > 0) && (
        <MonitoringCharts model={model} trans={trans} />
      )}
      {deployment.status === 'running' && <TryIt model={model} trans={trans} />}
      <Log model={model} open={deployment.status !== 'running'} trans={trans} />
    </div>
  );
}

function Facts(props: {
  deployment: IDeployment;
  onOpenModel: (name: string, version: number) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { deployment, onOpenModel, trans } = props;
  const settings = deployment.settings;
  const setting = [
    trans.__('max batch %1', settings.max_batch_size ?? '—'),
    trans.__('max wait %1 ms', formatNumber(settings.max_wait_ms ?? 0)),
    trans.__('device %1', settings.device || trans.__('default'))
  ].join(' · ');
  const facts: { label: string; value: React.ReactNode; title?: string }[] = [
    {
      label: trans.__('Model'),
      value:
        deployment.model === null ? (
          trans.__('deleted (v%1)', deployment.version)
        ) : (
          <button
            type="button"
            className="jp-DLPanel-linkButton"
            onClick={() =>
              onOpenModel(deployment.model as string, deployment.version)
            }
            title={trans.__('Show the version in its model')}
            data-testid="dl-deployment-model"
          >
            {trans.__('%1 v%2', deployment.model, deployment.version)}
          </button>
        )
    },
    {
      label: trans.__('URL'),
      value: deployment.url ? (
        <code data-testid="dl-deployment-url">{deployment.url}</code>
      ) : (
        '—'
      ),
      title: trans.__('Where it listens, on %1', deployment.host)
    },
    { label: trans.__('Settings'), value: setting },
    {
      label: trans.__('Started by'),
      value: deployment.started_by ?? '—',
      title: formatTime(deployment.created_at)
    },
    {
      label: trans.__('Created'),
      value: formatTimeAgo(deployment.created_at),
      title: formatTime(deployment.created_at)
    },
    {
      label:
        deployment.status === 'running'
          ? trans.__('Up for')
          : trans.__('Served for'),
      value: formatDuration(deployment.uptime) || '—',
      title: deployment.started_at
        ? trans.__('Listening since %1', formatTime(deployment.started_at))
        : undefined
    }
  ];
  if (deployment.ended_at) {
    facts.push({
      label: trans.__('Ended'),
      value: formatTimeAgo(deployment.ended_at),
      title: formatTime(deployment.ended_at)
    });
  }
  return (
    <dl className="jp-DLModels-facts" data-testid="dl-deployment-facts">
      {facts.map(fact => (
        <div className="jp-DLModels-fact" key={fact.label}>
          <dt>{fact.label}</dt>
          <dd title={fact.title}>{fact.value}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * The end of the server process's output, scrolled to its last line.
 */
function Log(props: {
  model: DeploymentModel;
  open: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const pre = React.useRef<HTMLPreElement>(null);
  React.useEffect(() => {
    if (pre.current) {
      pre.current.scrollTop = pre.current.scrollHeight;
    }
  }, [model.log]);
  return (
    <details
      className="jp-DLModels-log"
      open={props.open}
      data-testid="dl-deployment-log"
      onToggle={event => {
        if ((event.currentTarget as HTMLDetailsElement).open) {
          void model.reloadLog();
        }
      }}
    >
      <summary>
        <span className="jp-DLModels-subheading">{trans.__('Log')}</span>
      </summary>
      <div className="jp-DLModels-logActions">
        <button
          type="button"
          className="jp-DLPanel-button"
          onClick={() => void model.reloadLog()}
          data-testid="dl-deployment-log-reload"
        >
          <refreshIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
          <span>{trans.__('Reload log')}</span>
        </button>
      </div>
      {model.logError && (
        <ErrorBanner
          error={model.logError}
          title={trans.__('Could not read the log.')}
          trans={trans}
        />
      )}
      <pre ref={pre} className="jp-DLModels-logText">
        {model.log === null
          ? trans.__('Loading the log…')
          : model.log || trans.__('The log is empty.')}
      </pre>
    </details>
  );
}
