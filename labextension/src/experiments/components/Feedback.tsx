/**
 * Loading and error states, the same in every view of the panel.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { PlatformAPIError } from '../../handler';

export function Spinner(props: { label?: string }): JSX.Element {
  return (
    <span
      className="jp-DLExperiments-spinner"
      role={props.label ? 'status' : undefined}
      aria-label={props.label}
      aria-hidden={props.label ? undefined : true}
    />
  );
}

export function Loading(props: { text: string }): JSX.Element {
  return (
    <div
      className="jp-DLExperiments-loading"
      role="status"
      data-testid="dl-experiments-loading"
    >
      <Spinner />
      <span>{props.text}</span>
    </div>
  );
}

export interface IErrorBannerProps {
  error: PlatformAPIError;
  /**
   * What could not be done, e.g. "Could not load runs."
   */
  title: string;
  trans: TranslationBundle;
}

/**
 * The server's message, with its code and status folded away.
 */
export function ErrorBanner(props: IErrorBannerProps): JSX.Element {
  const { error, title, trans } = props;
  return (
    <div
      className="jp-DLExperiments-error"
      role="alert"
      data-testid="dl-experiments-error"
    >
      <div className="jp-DLExperiments-errorTitle">{title}</div>
      <div
        className="jp-DLExperiments-errorMessage"
        data-testid="dl-experiments-error-message"
      >
        {error.message}
      </div>
      <details className="jp-DLExperiments-errorDetails">
        <summary>{trans.__('Details')}</summary>
        <code>
          {error.status === null
            ? error.code
            : `${error.code} (HTTP ${error.status})`}
        </code>
      </details>
    </div>
  );
}

/**
 * A line of muted text for an empty list.
 */
export function Empty(props: {
  children: React.ReactNode;
  testId?: string;
}): JSX.Element {
  return (
    <div className="jp-DLExperiments-empty" data-testid={props.testId}>
      {props.children}
    </div>
  );
}
