/**
 * One job: what it runs and where, how it ended (the failing rank's
 * traceback first, each rank's exit code), its run in the Experiments
 * panel, Cancel, and the log of a rank, followed while the job runs.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { stopIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ErrorBanner, Loading } from '../../shared/feedback';
import { formatDuration, formatTime, formatTimeAgo } from '../../shared/format';
import { JobModel } from '../jobModel';
import { IJob } from '../tokens';
import { JobStatusBadge } from './badges';
import { resources } from './JobsView';
import { LogViewer } from './LogViewer';

export interface IJobViewProps {
  model: JobModel;
  onOpenRun: (id: string) => void;
  trans: TranslationBundle;
}

export function JobView(props: IJobViewProps): JSX.Element {
  const { model, trans } = props;
  const job = model.job;
  if (job === null) {
    return (
      <div className="jp-DLTraining-detail" data-testid="dl-job-view">
        {model.error ? (
          <ErrorBanner
            error={model.error}
            title={trans.__('Could not load job %1.', model.id)}
            trans={trans}
            onRetry={() => void model.refresh()}
          />
        ) : (
          <Loading text={trans.__('Loading the job…')} />
        )}
      </div>
    );
  }
  return (
    <div
      className="jp-DLTraining-detail"
      data-testid="dl-job-view"
      data-job-id={job.id}
      data-status={job.status}
    >
      <JobHeader {...props} job={job} />
      {model.error && (
        <ErrorBanner
          error={model.error}
          title={trans.__('Could not refresh the job.')}
          trans={trans}
        />
      )}
      {model.cancelError && (
        <ErrorBanner
          error={model.cancelError}
          title={trans.__('Could not cancel the job.')}
          trans={trans}
        />
      )}
      <JobFacts job={job} trans={trans} />
      {job.error && (
        <section
          className="jp-DLTraining-section"
          aria-label={trans.__('Error')}
        >
          <h3 className="jp-DLTraining-subheading jp-mod-error">
            {trans.__('Error')}
          </h3>
          <pre className="jp-DLTraining-error" data-testid="dl-job-error">
            {job.error}
          </pre>
        </section>
      )}
      <LogViewer
        log={model.log}
        ranks={job.nproc}
        onRank={rank => model.setRank(rank)}
        trans={trans}
      />
    </div>
  );
}

function JobHeader(props: IJobViewProps & { job: IJob }): JSX.Element {
  const { job, model, onOpenRun, trans } = props;
  const live = model.isLive;

  const cancel = async (): Promise<void> => {
    const result = await showDialog({
      title: trans.__('Cancel %1?', job.name),
      body: trans.__(
        'Job %1 and every process it started will be stopped. Its run ends as killed; checkpoints it saved stay.',
        job.id
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Keep running') }),
        Dialog.warnButton({ label: trans.__('Cancel job') })
      ]
    });
    if (result.button.accept) {
      await model.cancel();
    }
  };

  return (
    <header className="jp-DLTraining-header">
      <h2 className="jp-DLTraining-title" data-testid="dl-job-name">
        {job.name}
      </h2>
      <JobStatusBadge status={job.status} trans={trans} />
      <span className="jp-DLPanel-spacer" />
      {job.run_id && (
        <button
          type="button"
          className="jp-DLPanel-button"
          onClick={() => onOpenRun(job.run_id as string)}
          title={trans.__(
            'Open run %1 in the Experiments panel: what rank 0 logged',
            job.run_id
          )}
          data-testid="dl-job-run"
        >
          {trans.__('Open run')}
        </button>
      )}
      {live && (
        <button
          type="button"
          className="jp-DLPanel-button jp-mod-warn"
          disabled={model.isCancelling}
          onClick={() => void cancel()}
          title={trans.__('Stop the job and every process it started')}
          data-testid="dl-job-cancel"
        >
          <stopIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
          <span>
            {model.isCancelling ? trans.__('Cancelling…') : trans.__('Cancel')}
          </span>
        </button>
      )}
    </header>
  );
}

function JobFacts(props: { job: IJob; trans: TranslationBundle }): JSX.Element {
  const { job, trans } = props;
  const facts: [string, React.ReactNode, string?][] = [
    [trans.__('Id'), <code key="id">{job.id}</code>],
    [trans.__('Backend'), job.backend],
    [trans.__('Processes'), resources(job, trans)],
    [
      trans.__('Started'),
      job.started_at ? formatTimeAgo(job.started_at) : trans.__('not yet'),
      formatTime(job.started_at ?? job.created_at)
    ],
    [trans.__('Duration'), formatDuration(job.duration) || '—'],
    [
      trans.__('Restarts'),
      trans.__('%1 of at most %2', job.restarts, job.max_restarts)
    ],
    [trans.__('Owner'), job.owner ?? '—'],
    [trans.__('Host'), job.host]
  ];
  return (
    <>
      <dl className="jp-DLTraining-facts" data-testid="dl-job-facts">
        {facts.map(([label, value, title]) => (
          <div className="jp-DLTraining-fact" key={label}>
            <dt>{label}</dt>
            <dd title={title}>{value}</dd>
          </div>
        ))}
      </dl>
      <dl className="jp-DLTraining-facts jp-mod-wide">
        <div className="jp-DLTraining-fact">
          <dt>{trans.__('Command')}</dt>
          <dd>
            <code
              className="jp-DLTraining-command"
              data-testid="dl-job-command"
              title={job.workdir}
            >
              {job.command.join(' ')}
            </code>
          </dd>
        </div>
        {job.exit_codes.length > 0 && (
          <div className="jp-DLTraining-fact">
            <dt>{trans.__('Exit codes')}</dt>
            <dd>
              <ul
                className="jp-DLTraining-exitCodes"
                data-testid="dl-job-exit-codes"
              >
                {job.exit_codes.map((code, rank) => (
                  <li
                    key={rank}
                    className={
                      'jp-DLTraining-exitCode' +
                      (code === 0 ? '' : ' jp-mod-failed')
                    }
                    title={exitCodeTitle(code, trans)}
                  >
                    {trans.__('rank %1: %2', rank, code === null ? '—' : code)}
                  </li>
                ))}
              </ul>
            </dd>
          </div>
        )}
      </dl>
    </>
  );
}

function exitCodeTitle(code: number | null, trans: TranslationBundle): string {
  if (code === null) {
    return trans.__('Stopped by the launcher when another rank failed');
  }
  if (code < 0) {
    return trans.__('Killed by signal %1', -code);
  }
  return code === 0
    ? trans.__('Exited cleanly')
    : trans.__('Exited with an error');
}
