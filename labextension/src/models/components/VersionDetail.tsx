/**
 * One version in detail: its aliases, the Deploy and Delete actions, what
 * it was made with and by whom, its signature, metrics, lineage (the run,
 * the dataset versions and the code it came from, each opening where it
 * lives) and its files.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { deleteIcon, runIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { KeyValueTable } from '../../experiments/components/Details';
import { Empty } from '../../shared/feedback';
import { formatBytes, formatTime, formatTimeAgo } from '../../shared/format';
import { ModelModel } from '../modelModel';
import { IDatasetLineage, IModelVersion, ITensorSpec } from '../tokens';
import { AliasChip } from './badges';

export interface IVersionDetailProps {
  model: ModelModel;
  version: IModelVersion;
  onDeploy: (version: IModelVersion) => void;
  onOpenRun: (id: string, project: string) => void;
  /**
   * Open a dataset at a version; `null` where the Datasets panel is not there.
   */
  onOpenDataset: ((dataset: string, version: string) => void) | null;
  trans: TranslationBundle;
}

export function VersionDetail(props: IVersionDetailProps): JSX.Element {
  const { model, version, onDeploy, trans } = props;
  const aliases = model.aliasesOf(version.version);

  const confirmDelete = async (): Promise<void> => {
    const result = await showDialog({
      title: trans.__('Delete version %1?', version.version),
      body: trans.__(
        'Delete version %1 of %2 and its files (%3)? Code that loads it by number will fail. This cannot be undone.',
        version.version,
        version.model,
        formatBytes(version.size)
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Delete') })
      ]
    });
    if (result.button.accept) {
      await model.deleteVersion(version.version);
    }
  };

  const facts: { label: string; value: React.ReactNode; title?: string }[] = [
    {
      label: trans.__('Created'),
      value: version.created_by
        ? trans.__(
            '%1 by %2',
            formatTimeAgo(version.created_at),
            version.created_by
          )
        : formatTimeAgo(version.created_at),
      title: formatTime(version.created_at)
    },
    { label: trans.__('Program'), value: version.program_format },
    { label: trans.__('Weights'), value: version.weights_format },
    { label: trans.__('Size'), value: formatBytes(version.size) }
  ];

  return (
    <section
      className="jp-DLModels-versionDetail"
      aria-label={trans.__('Version %1', version.version)}
      data-testid="dl-version-detail"
      data-version={version.version}
    >
      <div className="jp-DLModels-titleRow">
        <h3 className="jp-DLModels-versionTitle">
          {trans.__('Version %1', version.version)}
        </h3>
        {aliases.map(alias => (
          <AliasChip
            key={alias.alias}
            alias={alias.alias}
            title={trans.__(
              'Set by %1, %2',
              alias.set_by ?? '—',
              formatTime(alias.set_at)
            )}
          />
        ))}
        <span className="jp-DLPanel-spacer" />
        <button
          type="button"
          className="jp-DLPanel-button jp-mod-accept"
          onClick={() => onDeploy(version)}
          title={trans.__('Serve this version over HTTP')}
          data-testid="dl-deploy"
        >
          <runIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
          <span>{trans.__('Deploy…')}</span>
        </button>
        <button
          type="button"
          className="jp-DLPanel-button jp-mod-warn"
          disabled={model.isSaving}
          onClick={() => void confirmDelete()}
          data-testid="dl-delete-version"
        >
          <deleteIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
          <span>{trans.__('Delete')}</span>
        </button>
      </div>
      {version.description && (
        <p className="jp-DLModels-description">{version.description}</p>
      )}
      <dl className="jp-DLModels-facts">
        {facts.map(fact => (
          <div className="jp-DLModels-fact" key={fact.label}>
            <dt>{fact.label}</dt>
            <dd title={fact.title}>{fact.value}</dd>
          </div>
        ))}
      </dl>
      <div className="jp-DLModels-cards">
        <div className="jp-DLModels-card">
          <h4 className="jp-DLModels-cardTitle">{trans.__('Signature')}</h4>
          <SignatureTable version={version} trans={trans} />
        </div>
        <div className="jp-DLModels-card">
          <h4 className="jp-DLModels-cardTitle">{trans.__('Lineage')}</h4>
          <Lineage {...props} />
        </div>
        <div className="jp-DLModels-card">
          <h4 className="jp-DLModels-cardTitle">{trans.__('Metrics')}</h4>
          <KeyValueTable
            values={version.metrics}
            empty={trans.__('Published without a run: no metrics.')}
            label={trans.__('Metrics of version %1', version.version)}
            testId="dl-version-metrics"
          />
        </div>
        <div className="jp-DLModels-card">
          <h4 className="jp-DLModels-cardTitle">{trans.__('Files')}</h4>
          <table
            className="jp-DLModels-table"
            aria-label={trans.__('Files of version %1', version.version)}
            data-testid="dl-version-files"
          >
            <tbody>
              {version.files.map(file => (
                <tr key={file.name}>
                  <td>{file.name}</td>
                  <td className="jp-mod-number">{formatBytes(file.size)}</td>
                  <td>
                    <code title={trans.__('SHA-256 %1', file.sha256)}>
                      {file.sha256.slice(0, 12)}
                    </code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}

/**
 * A shape in words: the first dimension of `-1` is the batch, any other
 * `-1` any size, e.g. `batch × 4`.
 */
export function formatShape(shape: number[], trans: TranslationBundle): string {
  if (shape.length === 0) {
    return trans.__('scalar');
  }
  return shape
    .map((size, index) =>
      size === -1 ? (index === 0 ? trans.__('batch') : trans.__('any')) : size
    )
    .join(' × ');
}

function SignatureTable(props: {
  version: IModelVersion;
  trans: TranslationBundle;
}): JSX.Element {
  const { version, trans } = props;
  const rows: [string, ITensorSpec][] = [
    ...version.signature.inputs.map((spec): [string, ITensorSpec] => [
      trans.__('Input'),
      spec
    ]),
    ...version.signature.outputs.map((spec): [string, ITensorSpec] => [
      trans.__('Output'),
      spec
    ])
  ];
  return (
    <table
      className="jp-DLModels-table"
      aria-label={trans.__('Signature of version %1', version.version)}
      data-testid="dl-version-signature"
    >
      <thead>
        <tr>
          {/* The corner above Input and Output heads nothing. */}
          <td />
          <th scope="col">{trans.__('Name')}</th>
          <th scope="col">{trans.__('Type')}</th>
          <th scope="col">{trans.__('Shape')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([direction, spec]) => (
          <tr key={`${direction}:${spec.name}`}>
            <th scope="row">{direction}</th>
            <td>
              <code>{spec.name}</code>
            </td>
            <td>
              <code>{spec.datatype}</code>
            </td>
            <td title={JSON.stringify(spec.shape)}>
              {formatShape(spec.shape, trans)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Lineage(props: IVersionDetailProps): JSX.Element {
  const { version, onOpenDataset, onOpenRun, trans } = props;
  const { run, code, datasets } = version.lineage;
  if (run === null && code === null && datasets.length === 0) {
    return (
      <Empty testId="dl-version-lineage">
        {trans.__(
          'Published outside a run: no run, code or datasets recorded.'
        )}
      </Empty>
    );
  }
  const datasetRef = (d: IDatasetLineage): string =>
    d.tag || d.version || d.commit.slice(0, 7);
  return (
    <dl className="jp-DLModels-lineage" data-testid="dl-version-lineage">
      {run && (
        <div className="jp-DLModels-fact">
          <dt>{trans.__('Run')}</dt>
          <dd>
            <button
              type="button"
              className="jp-DLPanel-linkButton"
              onClick={() => onOpenRun(run.id, run.project)}
              title={trans.__('Open run %1 in Experiments', run.name)}
              data-testid="dl-lineage-run"
            >
              {run.name}
            </button>
            <span className="jp-DLModels-muted">
              {trans.__(' in %1', run.project)}
            </span>
          </dd>
        </div>
      )}
      {datasets.length > 0 && (
        <div className="jp-DLModels-fact">
          <dt>{trans.__('Data')}</dt>
          <dd className="jp-DLModels-datasets">
            {datasets.map(d => {
              const label = `${d.dataset}@${datasetRef(d)}`;
              return onOpenDataset ? (
                <button
                  key={label}
                  type="button"
                  className="jp-DLPanel-linkButton"
                  onClick={() => onOpenDataset(d.dataset, d.tag || d.commit)}
                  title={trans.__('Open %1 in Datasets', label)}
                  data-testid="dl-lineage-dataset"
                >
                  {label}
                </button>
              ) : (
                <code key={label}>{label}</code>
              );
            })}
          </dd>
        </div>
      )}
      {code && code.commit && (
        <div className="jp-DLModels-fact">
          <dt>{trans.__('Code')}</dt>
          <dd title={code.remote ?? undefined}>
            <code>{code.commit.slice(0, 10)}</code>
            {code.branch && (
              <span className="jp-DLModels-muted">{` (${code.branch})`}</span>
            )}
            {code.dirty && (
              <span
                className="jp-DLModels-dirty"
                title={trans.__('Uncommitted changes when it ran')}
              >
                {trans.__('modified')}
              </span>
            )}
          </dd>
        </div>
      )}
      {code && code.source && (
        <div className="jp-DLModels-fact">
          <dt>{trans.__('Source')}</dt>
          <dd>
            <code>{code.source}</code>
          </dd>
        </div>
      )}
    </dl>
  );
}
