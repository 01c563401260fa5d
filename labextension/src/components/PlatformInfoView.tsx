/**
 * The body of the Deep Learning sidebar: status, then one section per kind
 * of platform fact. Renders whatever the model holds; never fetches.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IPlatformInfoModel } from '../tokens';
import { GpuList } from './GpuList';
import { PlatformFacts } from './PlatformFacts';
import { Section } from './Section';
import { StatusBanner } from './StatusBanner';
import { StoreDetails, StoreState } from './StoreDetails';

export interface IPlatformInfoViewProps {
  model: IPlatformInfoModel;
  trans: TranslationBundle;
}

export function PlatformInfoView(props: IPlatformInfoViewProps): JSX.Element {
  const { model, trans } = props;
  const info = model.info;
  return (
    <div
      className="jp-DLSidebar-body"
      aria-busy={model.isLoading}
      data-testid="dl-sidebar-body"
    >
      <StatusBanner
        error={model.error}
        hasInfo={info !== null}
        isLoading={model.isLoading}
        trans={trans}
      />
      {info !== null && (
        <>
          <Section id="platform" title={trans.__('Platform')}>
            <PlatformFacts info={info} trans={trans} />
          </Section>
          <Section
            id="store"
            title={trans.__('Store')}
            aside={<StoreState store={info.store} trans={trans} />}
          >
            <StoreDetails store={info.store} trans={trans} />
          </Section>
          <Section
            id="gpus"
            title={trans.__('GPUs')}
            aside={
              <span
                className="jp-DLSidebar-count"
                data-testid="dl-gpu-count"
                role="img"
                aria-label={trans._n('%1 GPU', '%1 GPUs', info.gpus.length)}
              >
                {info.gpus.length}
              </span>
            }
          >
            <GpuList gpus={info.gpus} trans={trans} />
          </Section>
        </>
      )}
    </div>
  );
}
