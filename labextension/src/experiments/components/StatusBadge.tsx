/**
 * A run's status as a small badge whose dot carries the colour.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { StatusBadge as Badge, StatusTone } from '../../shared/StatusBadge';
import { RunStatus } from '../tokens';

const TONES: Record<RunStatus, StatusTone> = {
  running: 'active',
  finished: 'success',
  failed: 'error',
  crashed: 'error',
  killed: 'stopped'
};

export function statusLabel(
  status: RunStatus,
  trans: TranslationBundle
): string {
  switch (status) {
    case 'running':
      return trans.__('Running');
    case 'finished':
      return trans.__('Finished');
    case 'failed':
      return trans.__('Failed');
    case 'crashed':
      return trans.__('Crashed');
    case 'killed':
      return trans.__('Killed');
    default:
      return String(status);
  }
}

export function StatusBadge(props: {
  status: RunStatus;
  trans: TranslationBundle;
}): JSX.Element {
  const { status, trans } = props;
  return (
    <Badge
      status={status}
      label={statusLabel(status, trans)}
      tone={TONES[status] ?? 'waiting'}
      testId="dl-run-status"
    />
  );
}
