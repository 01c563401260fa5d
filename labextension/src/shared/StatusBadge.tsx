/**
 * A status as a small badge whose dot carries the colour, for runs, jobs,
 * sweeps and trials alike. Each panel names its statuses; the badge only
 * knows the tone each one reads in.
 */
import * as React from 'react';

/**
 * How a status reads: `active` pulses (running), `success` and `error` are
 * how things ended well or badly, `stopped` was ended on purpose
 * (cancelled, killed, pruned), `waiting` has not started.
 */
export type StatusTone = 'active' | 'success' | 'error' | 'stopped' | 'waiting';

export interface IStatusBadgeProps {
  /**
   * The status as the server names it, kept in `data-status` for tests.
   */
  status: string;
  /**
   * The status in the user's language.
   */
  label: string;
  tone: StatusTone;
  testId?: string;
  title?: string;
}

export function StatusBadge(props: IStatusBadgeProps): JSX.Element {
  const { label, status, testId, title, tone } = props;
  return (
    <span
      className={`jp-DLPanel-status jp-mod-${tone}`}
      data-testid={testId}
      data-status={status}
      title={title}
    >
      {label}
    </span>
  );
}
