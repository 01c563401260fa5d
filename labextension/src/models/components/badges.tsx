/**
 * Deployment statuses as badges, and aliases as chips, in the user's words.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { StatusBadge, StatusTone } from '../../shared/StatusBadge';
import { DeploymentStatus } from '../tokens';

const TONES: Record<DeploymentStatus, StatusTone> = {
  starting: 'waiting',
  running: 'active',
  stopped: 'stopped',
  failed: 'error'
};

export function deploymentStatusLabel(
  status: DeploymentStatus,
  trans: TranslationBundle
): string {
  switch (status) {
    case 'starting':
      return trans.__('Starting');
    case 'running':
      return trans.__('Running');
    case 'stopped':
      return trans.__('Stopped');
    case 'failed':
      return trans.__('Failed');
    default:
      return String(status);
  }
}

export function DeploymentStatusBadge(props: {
  status: DeploymentStatus;
  trans: TranslationBundle;
  testId?: string;
}): JSX.Element {
  const { status, trans } = props;
  return (
    <StatusBadge
      status={status}
      label={deploymentStatusLabel(status, trans)}
      tone={TONES[status] ?? 'waiting'}
      testId={props.testId ?? 'dl-deployment-status'}
    />
  );
}

/**
 * An alias as a small chip, e.g. `production`.
 */
export function AliasChip(props: {
  alias: string;
  title?: string;
}): JSX.Element {
  return (
    <span
      className="jp-DLModels-aliasChip"
      title={props.title}
      data-testid="dl-alias-chip"
      data-alias={props.alias}
    >
      {props.alias}
    </span>
  );
}
