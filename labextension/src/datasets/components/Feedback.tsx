/**
 * Loading, empty and error states, the same in every part of the panel.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { PlatformAPIError } from '../../handler';

export function Spinner(props: { label?: string }): JSX.Element {
  return (
    <span
      className="jp-DLDatasets-spinner"
      role={props.label ? 'status' : undefined}
      aria-label={props.label}
      aria-hidden={props.label ? undefined : true}
    />
  );
}

export function Loading(props: { text: string }): JSX.Element {
  return (
    <div
      className="jp-DLDatasets-loading"
      role="status"
      data-testid="dl-datasets-loading"
    >
      <Spinner />
      <span>{props.text}</span>
    </div>
  );
}

export interface IErrorBannerProps {
  error: PlatformAPIError;
  /**
   * What could not be done, e.g. "Could not load the catalog."
   */
  title: string;
  trans: TranslationBundle;
  /**
   * A way to try again, where there is one.
   */
  onRetry?: () => void;
}

/**
 * The server's message, with its code and status folded away.
 */
export function ErrorBanner(props: IErrorBannerProps): JSX.Element {
  const { error, title, trans, onRetry } = props;
  return (
    <div
      className="jp-DLDatasets-error"
      role="alert"
      data-testid="dl-datasets-error"
    >
      <div className="jp-DLDatasets-errorTitle">{title}</div>
      <div
        className="jp-DLDatasets-errorMessage"
        data-testid="dl-datasets-error-message"
      >
        {error.message}
      </div>
      <div className="jp-DLDatasets-errorFooter">
        <details className="jp-DLDatasets-errorDetails">
          <summary>{trans.__('Details')}</summary>
          <code>
            {error.status === null
              ? error.code
              : `${error.code} (HTTP ${error.status})`}
          </code>
        </details>
        {onRetry && (
          <button
            type="button"
            className="jp-DLDatasets-linkButton"
            onClick={onRetry}
          >
            {trans.__('Try again')}
          </button>
        )}
      </div>
    </div>
  );
}

/**
 * A line of muted text for an empty list or pane.
 */
export function Empty(props: {
  children: React.ReactNode;
  testId?: string;
}): JSX.Element {
  return (
    <div className="jp-DLDatasets-empty" data-testid={props.testId}>
      {props.children}
    </div>
  );
}
