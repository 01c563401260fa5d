/**
 * A run's status as a small badge whose dot carries the colour.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { RunStatus } from '../tokens';

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
    <span
      className={`jp-DLExperiments-status jp-mod-${status}`}
      data-testid="dl-run-status"
      data-status={status}
    >
      {statusLabel(status, trans)}
    </span>
  );
}
