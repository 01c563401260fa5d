/**
 * What the sidebar says while it waits for the server or after a request
 * failed: nothing at all when the facts are fresh.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { PlatformAPIError } from '../handler';

export interface IStatusBannerProps {
  error: PlatformAPIError | null;
  /**
   * Whether facts from an earlier request are still on show.
   */
  hasInfo: boolean;
  isLoading: boolean;
  trans: TranslationBundle;
}

export function StatusBanner(props: IStatusBannerProps): JSX.Element | null {
  const { error, hasInfo, isLoading, trans } = props;
  if (error) {
    return (
      <div className="jp-DLSidebar-error" role="alert" data-testid="dl-error">
        <div className="jp-DLSidebar-errorTitle">
          {hasInfo
            ? trans.__('Could not refresh; showing the last known facts.')
            : trans.__('Could not load platform information.')}
        </div>
        <div
          className="jp-DLSidebar-errorMessage"
          data-testid="dl-error-message"
        >
          {error.message}
        </div>
        <details className="jp-DLSidebar-errorDetails">
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
  if (isLoading && !hasInfo) {
    return (
      <div
        className="jp-DLSidebar-loading"
        role="status"
        data-testid="dl-loading"
      >
        <span className="jp-DLSidebar-spinner" aria-hidden="true" />
        <span className="jp-DLSidebar-loadingText">
          {trans.__('Loading platform information…')}
        </span>
      </div>
    );
  }
  return null;
}
