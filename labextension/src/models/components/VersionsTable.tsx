/**
 * A model's versions, newest first: number, aliases, when and by whom, its
 * key metrics, size and format. One row is the Tab stop; ↑ and ↓ choose
 * another version, whose details show below the table.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { Spinner } from '../../shared/feedback';
import {
  formatBytes,
  formatTime,
  formatTimeAgo,
  formatValue,
  isNonFinite
} from '../../shared/format';
import { useRowKeys } from '../../shared/rows';
import { ModelModel } from '../modelModel';
import { IModelVersion } from '../tokens';
import { AliasChip } from './badges';

/**
 * How many metrics the table has columns for.
 */
const KEY_METRICS = 3;

/**
 * The metrics most versions have (numbers only, not the machine's), in the
 * order they were first seen.
 */
export function keyMetrics(versions: readonly IModelVersion[]): string[] {
  const counts = new Map<string, number>();
  for (const version of versions) {
    for (const [key, value] of Object.entries(version.metrics)) {
      if (
        key.startsWith('system/') ||
        key.startsWith('_') ||
        !(typeof value === 'number' || isNonFinite(value))
      ) {
        continue;
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const order = [...counts.keys()];
  return order
    .sort(
      (a, b) =>
        (counts.get(b) ?? 0) - (counts.get(a) ?? 0) ||
        order.indexOf(a) - order.indexOf(b)
    )
    .slice(0, KEY_METRICS);
}

export interface IVersionsTableProps {
  model: ModelModel;
  trans: TranslationBundle;
}

export function VersionsTable(props: IVersionsTableProps): JSX.Element {
  const { model, trans } = props;
  const versions = model.versions.items;
  const metrics = React.useMemo(() => keyMetrics(versions), [versions]);
  const selected = model.selectedNumber;
  const keys = useRowKeys(
    versions.length,
    index => model.select(versions[index].version),
    () => void model.loadMoreVersions()
  );

  return (
    <div className="jp-DLModels-versions">
      <table
        className="jp-DLModels-table jp-mod-versions"
        aria-label={trans.__('Versions of %1', model.name)}
        data-testid="dl-versions"
      >
        <thead>
          <tr>
            <th scope="col">{trans.__('Version')}</th>
            <th scope="col">{trans.__('Aliases')}</th>
            <th scope="col">{trans.__('Created')}</th>
            <th scope="col">{trans.__('By')}</th>
            {metrics.map(key => (
              <th scope="col" key={key} className="jp-mod-number">
                {key}
              </th>
            ))}
            <th scope="col" className="jp-mod-number">
              {trans.__('Size')}
            </th>
            <th scope="col">{trans.__('Format')}</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((version, index) => {
            const current = version.version === selected;
            const rowKeys = keys.rowProps(index);
            return (
              <tr
                key={version.version}
                {...rowKeys}
                onFocus={() => {
                  rowKeys.onFocus();
                  model.select(version.version);
                }}
                className={current ? 'jp-mod-selected' : undefined}
                aria-selected={current}
                onClick={() => model.select(version.version)}
                data-testid="dl-version-row"
                data-version={version.version}
              >
                <td>
                  <span className="jp-DLModels-versionNumber">
                    {`v${version.version}`}
                  </span>
                </td>
                <td>
                  <span className="jp-DLModels-chipRow">
                    {model.aliasesOf(version.version).map(alias => (
                      <AliasChip key={alias.alias} alias={alias.alias} />
                    ))}
                  </span>
                </td>
                <td title={formatTime(version.created_at)}>
                  {formatTimeAgo(version.created_at)}
                </td>
                <td>{version.created_by ?? '—'}</td>
                {metrics.map(key => (
                  <td key={key} className="jp-mod-number">
                    {formatValue(version.metrics[key])}
                  </td>
                ))}
                <td className="jp-mod-number">{formatBytes(version.size)}</td>
                <td>{version.program_format}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {model.versions.hasMore && model.versions.isLoaded && (
        <div className="jp-DLModels-more">
          <button
            type="button"
            className="jp-DLPanel-button"
            disabled={model.versions.isLoading}
            onClick={() => void model.loadMoreVersions()}
          >
            {model.versions.isLoading && <Spinner />}
            {trans.__('Load more')}
          </button>
        </div>
      )}
    </div>
  );
}
