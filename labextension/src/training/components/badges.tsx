/**
 * Job, sweep and trial statuses as badges, in the user's words.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { StatusBadge, StatusTone } from '../../shared/StatusBadge';
import { JobStatus, SweepStatus, TrialState } from '../tokens';

const JOB_TONES: Record<JobStatus, StatusTone> = {
  queued: 'waiting',
  running: 'active',
  succeeded: 'success',
  failed: 'error',
  cancelled: 'stopped'
};

export function jobStatusLabel(
  status: JobStatus,
  trans: TranslationBundle
): string {
  switch (status) {
    case 'queued':
      return trans.__('Queued');
    case 'running':
      return trans.__('Running');
    case 'succeeded':
      return trans.__('Succeeded');
    case 'failed':
      return trans.__('Failed');
    case 'cancelled':
      return trans.__('Cancelled');
    default:
      return String(status);
  }
}

export function JobStatusBadge(props: {
  status: JobStatus;
  trans: TranslationBundle;
}): JSX.Element {
  const { status, trans } = props;
  return (
    <StatusBadge
      status={status}
      label={jobStatusLabel(status, trans)}
      tone={JOB_TONES[status] ?? 'waiting'}
      testId="dl-job-status"
    />
  );
}

const SWEEP_TONES: Record<SweepStatus, StatusTone> = {
  running: 'active',
  finished: 'success',
  failed: 'error',
  cancelled: 'stopped'
};

export function SweepStatusBadge(props: {
  status: SweepStatus;
  trans: TranslationBundle;
}): JSX.Element {
  const { status, trans } = props;
  const labels: Record<SweepStatus, string> = {
    running: trans.__('Running'),
    finished: trans.__('Finished'),
    failed: trans.__('Failed'),
    cancelled: trans.__('Cancelled')
  };
  return (
    <StatusBadge
      status={status}
      label={labels[status] ?? String(status)}
      tone={SWEEP_TONES[status] ?? 'waiting'}
      testId="dl-sweep-status"
    />
  );
}

const TRIAL_TONES: Record<TrialState, StatusTone> = {
  running: 'active',
  complete: 'success',
  pruned: 'stopped',
  failed: 'error'
};

export function trialStateLabel(
  state: TrialState,
  trans: TranslationBundle
): string {
  switch (state) {
    case 'running':
      return trans.__('Running');
    case 'complete':
      return trans.__('Complete');
    case 'pruned':
      return trans.__('Pruned');
    case 'failed':
      return trans.__('Failed');
    default:
      return String(state);
  }
}

export function TrialStateBadge(props: {
  state: TrialState;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, trans } = props;
  return (
    <StatusBadge
      status={state}
      label={trialStateLabel(state, trans)}
      tone={TRIAL_TONES[state] ?? 'waiting'}
      testId="dl-trial-state"
    />
  );
}
