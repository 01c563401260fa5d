/**
 * Where the platform records runs, datasets and models, and whether its
 * schema is ready.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IStoreInfo } from '../tokens';
import { FactList } from './FactList';

export interface IStoreProps {
  store: IStoreInfo;
  trans: TranslationBundle;
}

/**
 * Ready, migrating or unavailable, as a small badge.
 */
export function StoreState(props: IStoreProps): JSX.Element {
  const { store, trans } = props;
  let state: { label: string; modifier: string };
  if (store.ready) {
    state = { label: trans.__('Ready'), modifier: 'jp-mod-ready' };
  } else if (store.error) {
    state = { label: trans.__('Unavailable'), modifier: 'jp-mod-unavailable' };
  } else {
    state = { label: trans.__('Migrating…'), modifier: 'jp-mod-migrating' };
  }
  return (
    <span
      className={`jp-DLSidebar-storeState ${state.modifier}`}
      data-testid="dl-store-state"
      role="status"
    >
      {state.label}
    </span>
  );
}

export function StoreDetails(props: IStoreProps): JSX.Element {
  const { store, trans } = props;
  return (
    <>
      {!store.ready && store.error && (
        <p className="jp-DLSidebar-storeError" data-testid="dl-store-error">
          {store.error}
        </p>
      )}
      <FactList
        facts={[
          {
            label: trans.__('Backend'),
            value: store.backend,
            testId: 'dl-store-backend'
          },
          {
            label: trans.__('Location'),
            value: store.location,
            title: store.url,
            testId: 'dl-store-location',
            code: true,
            wrap: true
          },
          {
            label: trans.__('Revision'),
            value: store.revision,
            missing: store.ready
              ? trans.__('None')
              : store.error
                ? trans.__('Unknown')
                : trans.__('Not migrated yet'),
            testId: 'dl-store-revision',
            code: true
          }
        ]}
      />
    </>
  );
}
