/**
 * The jobs, newest first: a status filter and the launch button above the
 * table, more jobs on demand (or on scrolling to the end). A click or Enter
 * opens a job; the arrow keys move between rows.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { addIcon, HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Empty, ErrorBanner, Loading, Spinner } from '../../shared/feedback';
import { formatDuration, formatTime, formatTimeAgo } from '../../shared/format';
import { LiveList } from '../../shared/liveList';
import { useRowKeys } from '../../shared/rows';
import { IJob, JobFilter } from '../tokens';
import { JobStatusBadge } from './badges';
import { MoreButton } from './MoreButton';

export interface IJobsViewProps {
  jobs: LiveList<IJob>;
  filter: JobFilter;
  onFilter: (filter: JobFilter) => void;
  onOpen: (job: IJob) => void;
  onLaunch: () => void;
  trans: TranslationBundle;
}

export function JobsView(props: IJobsViewProps): JSX.Element {
  const { filter, jobs, onFilter, onLaunch, trans } = props;
  const items = jobs.items;

  let body: React.ReactNode;
  if (!jobs.isLoaded && jobs.error === null) {
    body = <Loading text={trans.__('Loading jobs…')} />;
  } else if (items.length === 0 && jobs.error === null) {
    body = (
      <Empty testId="dl-no-jobs">
        {filter
          ? trans.__('No jobs match the filter.')
          : trans.__(
              'No training jobs yet. Launch a script or a notebook with New job, or from a notebook with dl.train or %%dl_train.'
            )}
      </Empty>
    );
  } else {
    body = (
      <>
        <JobsTable {...props} />
        <MoreButton list={jobs} trans={trans} />
      </>
    );
  }

  return (
    <div className="jp-DLTraining-listView" data-testid="dl-jobs-view">
      <div className="jp-DLTraining-listBar">
        <label className="jp-DLTraining-field">
          <span className="jp-DLTraining-fieldLabel">{trans.__('Show')}</span>
          <HTMLSelect
            value={filter}
            options={[
              { value: '', label: trans.__('All jobs') },
              { value: 'active', label: trans.__('Queued or running') },
              { value: 'queued', label: trans.__('Queued') },
              { value: 'running', label: trans.__('Running') },
              { value: 'succeeded', label: trans.__('Succeeded') },
              { value: 'failed', label: trans.__('Failed') },
              { value: 'cancelled', label: trans.__('Cancelled') }
            ]}
            onChange={event => onFilter(event.target.value as JobFilter)}
            aria-label={trans.__('Which jobs to list')}
            data-testid="dl-jobs-filter"
          />
        </label>
        <span className="jp-DLPanel-spacer" />
        {jobs.isLoading && jobs.isLoaded && (
          <Spinner label={trans.__('Loading jobs')} />
        )}
        <button
          type="button"
          className="jp-DLPanel-button jp-mod-accept"
          onClick={onLaunch}
          title={trans.__('Launch a script or a notebook as a training job')}
          data-testid="dl-new-job"
        >
          <addIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
          <span>{trans.__('New job')}</span>
        </button>
      </div>
      {jobs.error && (
        <ErrorBanner
          error={jobs.error}
          title={trans.__('Could not load the jobs.')}
          trans={trans}
          onRetry={() => void jobs.reload()}
        />
      )}
      <div className="jp-DLTraining-tableScroller">{body}</div>
      <div className="jp-DLTraining-footer" data-testid="dl-jobs-count">
        {jobs.isLoaded &&
          (jobs.hasMore
            ? trans.__('Showing the newest %1 jobs', items.length)
            : trans._n('%1 job', '%1 jobs', items.length))}
      </div>
    </div>
  );
}

function JobsTable(props: IJobsViewProps): JSX.Element {
  const { jobs, onOpen, trans } = props;
  const items = jobs.items;
  const keys = useRowKeys(
    items.length,
    index => onOpen(items[index]),
    () => void jobs.loadMore()
  );
  return (
    <table
      className="jp-DLTraining-table"
      role="grid"
      aria-label={trans.__('Training jobs')}
      aria-busy={jobs.isLoading}
      data-testid="dl-jobs-table"
    >
      <thead>
        <tr>
          <th scope="col">{trans.__('Name')}</th>
          <th scope="col">{trans.__('Status')}</th>
          <th scope="col">{trans.__('Backend')}</th>
          <th scope="col" className="jp-mod-number">
            {trans.__('Processes')}
          </th>
          <th scope="col">{trans.__('Started')}</th>
          <th scope="col" className="jp-mod-number">
            {trans.__('Duration')}
          </th>
          <th scope="col" className="jp-mod-number">
            {trans.__('Restarts')}
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((job, index) => (
          <tr
            key={job.id}
            className="jp-DLTraining-row"
            data-testid="dl-job-row"
            data-job-id={job.id}
            data-status={job.status}
            aria-rowindex={index + 1}
            onClick={() => onOpen(job)}
            {...keys.rowProps(index)}
          >
            <td className="jp-DLTraining-nameCell">
              <span
                className="jp-DLTraining-name"
                title={job.command.join(' ')}
              >
                {job.name}
              </span>
            </td>
            <td>
              <JobStatusBadge status={job.status} trans={trans} />
            </td>
            <td>{job.backend}</td>
            <td className="jp-mod-number">{resources(job, trans)}</td>
            <td title={formatTime(job.started_at ?? job.created_at)}>
              {job.started_at
                ? formatTimeAgo(job.started_at)
                : trans.__('not yet')}
            </td>
            <td className="jp-mod-number">{formatDuration(job.duration)}</td>
            <td className="jp-mod-number">
              {job.max_restarts > 0
                ? `${job.restarts} / ${job.max_restarts}`
                : String(job.restarts)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Processes and GPUs, e.g. `2 × GPU` or `4 × CPU`.
 */
export function resources(job: IJob, trans: TranslationBundle): string {
  if (job.gpus > 0) {
    return job.gpus === job.nproc
      ? trans.__('%1 × GPU', job.nproc)
      : trans.__('%1 on %2 GPUs', job.nproc, job.gpus);
  }
  return trans.__('%1 × CPU', job.nproc);
}
