/**
 * Loading, empty and error states, the same in every panel of the platform.
 *
 * Each panel names itself once, with `PanelScope` around its body, and the
 * test ids of these states carry that name (`dl-experiments-error`,
 * `dl-datasets-loading`, `dl-training-error-message`): a test finds the
 * error of the panel it drives, not of another panel open beside it.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { PlatformAPIError } from '../handler';

/**
 * The name of the panel the states are shown in.
 */
export const PanelScope = React.createContext('panel');

export function Spinner(props: { label?: string }): JSX.Element {
  return (
    <span
      className="jp-DLPanel-spinner"
      role={props.label ? 'status' : undefined}
      aria-label={props.label}
      aria-hidden={props.label ? undefined : true}
    />
  );
}

export function Loading(props: { text: string }): JSX.Element {
  const scope = React.useContext(PanelScope);
  return (
    <div
      className="jp-DLPanel-loading"
      role="status"
      data-testid={`dl-${scope}-loading`}
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
  const scope = React.useContext(PanelScope);
  return (
    <div
      className="jp-DLPanel-error"
      role="alert"
      data-testid={`dl-${scope}-error`}
    >
      <div className="jp-DLPanel-errorTitle">{title}</div>
      <div
        className="jp-DLPanel-errorMessage"
        data-testid={`dl-${scope}-error-message`}
      >
        {error.message}
      </div>
      <div className="jp-DLPanel-errorFooter">
        <details className="jp-DLPanel-errorDetails">
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
            className="jp-DLPanel-linkButton"
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
    <div className="jp-DLPanel-empty" data-testid={props.testId}>
      {props.children}
    </div>
  );
}
