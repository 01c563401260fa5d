/**
 * The sidebar toolbar: a refresh button and when the facts were last updated.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IPlatformInfoModel } from '../tokens';

export interface IRefreshControlsProps {
  model: IPlatformInfoModel;
  trans: TranslationBundle;
}

export function RefreshButton(props: IRefreshControlsProps): JSX.Element {
  const { model, trans } = props;
  return (
    <ToolbarButtonComponent
      icon={refreshIcon}
      className={
        model.isLoading
          ? 'jp-DLSidebar-refresh jp-mod-loading'
          : 'jp-DLSidebar-refresh'
      }
      dataset={{ testid: 'dl-refresh' }}
      tooltip={trans.__('Refresh platform information')}
      onClick={() => {
        void model.refresh();
      }}
    />
  );
}

export function LastUpdated(props: IRefreshControlsProps): JSX.Element {
  const { model, trans } = props;
  // The first load has its own message in the body; say nothing here.
  let text = '';
  if (model.isLoading && model.info !== null) {
    text = trans.__('Refreshing…');
  } else if (model.lastUpdated !== null) {
    text = trans.__('Updated %1', model.lastUpdated.toLocaleTimeString());
  }
  return (
    <span
      className="jp-DLSidebar-updated"
      data-testid="dl-updated"
      title={model.lastUpdated?.toLocaleString()}
    >
      {text}
    </span>
  );
}
