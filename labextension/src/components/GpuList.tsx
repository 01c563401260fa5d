/**
 * The GPUs this server can use, with their memory.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IGpuInfo } from '../tokens';

const GIB = 1024 ** 3;

/**
 * Bytes as GiB with one decimal, e.g. `79.6`.
 */
export function formatGiB(bytes: number): string {
  return (bytes / GIB).toFixed(1);
}

export interface IGpuListProps {
  gpus: IGpuInfo[];
  trans: TranslationBundle;
}

export function GpuList(props: IGpuListProps): JSX.Element {
  const { gpus, trans } = props;
  if (gpus.length === 0) {
    return (
      <p className="jp-DLSidebar-empty" data-testid="dl-gpus">
        {trans.__('No GPUs visible')}
      </p>
    );
  }
  return (
    <ul className="jp-DLSidebar-gpus" data-testid="dl-gpus">
      {gpus.map(gpu => {
        const used = Math.min(
          100,
          gpu.memory_total > 0 ? (100 * gpu.memory_used) / gpu.memory_total : 0
        );
        const memory = trans.__(
          '%1 / %2 GiB',
          formatGiB(gpu.memory_used),
          formatGiB(gpu.memory_total)
        );
        return (
          <li
            className="jp-DLSidebar-gpu"
            key={gpu.uuid || gpu.index}
            data-testid="dl-gpu"
            data-gpu-index={gpu.index}
            title={gpu.uuid}
          >
            <div className="jp-DLSidebar-gpuHeader">
              <span className="jp-DLSidebar-gpuIndex">{gpu.index}</span>
              <span className="jp-DLSidebar-gpuName" data-testid="dl-gpu-name">
                {gpu.name}
              </span>
            </div>
            <div
              className="jp-DLSidebar-gpuMeter"
              role="meter"
              aria-label={trans.__('Memory used on GPU %1', gpu.index)}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(used)}
              aria-valuetext={memory}
            >
              <div
                className="jp-DLSidebar-gpuMeterFill"
                style={{ width: `${used}%` }}
              />
            </div>
            <div className="jp-DLSidebar-gpuMemory" data-testid="dl-gpu-memory">
              {memory}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
