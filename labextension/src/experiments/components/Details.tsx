/**
 * The read-only tabs of a run: key/value tables for its config and summary,
 * its metrics at a glance, and the machine and code it ran with.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  flatten,
  formatNumber,
  formatValue,
  formatValueFull,
  isNonFinite
} from '../../shared/format';
import { IMetricInfo, RunSystem, JSONValue } from '../tokens';
import { Empty } from '../../shared/feedback';

export function KeyValueTable(props: {
  values: Record<string, JSONValue>;
  empty: string;
  label: string;
  testId: string;
}): JSX.Element {
  const rows = flatten(props.values);
  if (rows.length === 0) {
    return <Empty testId={props.testId}>{props.empty}</Empty>;
  }
  return (
    <table
      className="jp-DLExperiments-kvTable"
      aria-label={props.label}
      data-testid={props.testId}
    >
      <tbody>
        {rows.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td>
              <Value value={value} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Value(props: { value: JSONValue | undefined }): JSX.Element {
  const { value } = props;
  const numeric = typeof value === 'number' || isNonFinite(value);
  return (
    <span
      className={
        'jp-DLExperiments-value' +
        (numeric ? ' jp-mod-number' : '') +
        (isNonFinite(value) ? ' jp-mod-nonFinite' : '')
      }
      title={formatValueFull(value)}
    >
      {typeof value === 'object' && value !== null
        ? formatValueFull(value)
        : formatValue(value)}
    </span>
  );
}

/**
 * Each metric's last, lowest and highest value and how many points it has.
 */
export function MetricsTable(props: {
  metrics: IMetricInfo[];
  trans: TranslationBundle;
}): JSX.Element | null {
  const { metrics, trans } = props;
  if (metrics.length === 0) {
    return null;
  }
  return (
    <table
      className="jp-DLExperiments-metricsTable"
      aria-label={trans.__('Metrics')}
      data-testid="dl-run-metrics-table"
    >
      <thead>
        <tr>
          <th scope="col">{trans.__('Metric')}</th>
          <th scope="col">{trans.__('Last')}</th>
          <th scope="col">{trans.__('Min')}</th>
          <th scope="col">{trans.__('Max')}</th>
          <th scope="col">{trans.__('Points')}</th>
          <th scope="col">{trans.__('Last step')}</th>
        </tr>
      </thead>
      <tbody>
        {metrics.map(metric => (
          <tr key={metric.key}>
            <th scope="row">{metric.key}</th>
            <td>
              <Value value={metric.last} />
            </td>
            <td>
              <Value value={metric.min} />
            </td>
            <td>
              <Value value={metric.max} />
            </td>
            <td className="jp-mod-number">{formatNumber(metric.count)}</td>
            <td className="jp-mod-number">
              {metric.last_step === null ? '' : String(metric.last_step)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A field of a run's system record, whatever its shape: a string as it is,
 * an object by the named part (`{version: ...}`, `{path: ...}`).
 */
function part(value: JSONValue | undefined, name?: string): string | null {
  if (value === undefined || value === null || value === '') {
    return null;
  }
  if (name && typeof value === 'object' && !Array.isArray(value)) {
    return part(value[name]);
  }
  return formatValueFull(value);
}

/**
 * The fields `SystemInfo` shows in its own rows; the rest follow under "More".
 */
const SYSTEM_FIELDS = new Set([
  'host',
  'user',
  'platform',
  'python',
  'torch',
  'cuda',
  'cuda_driver',
  'gpus',
  'git',
  'notebook',
  'script',
  'cwd',
  'argv'
]);

/**
 * The machine, software and code a run ran with.
 */
export function SystemInfo(props: {
  system: RunSystem | undefined;
  trans: TranslationBundle;
}): JSX.Element {
  const { system, trans } = props;
  if (!system || Object.keys(system).length === 0) {
    return (
      <Empty testId="dl-run-system">
        {trans.__('The run recorded nothing about its system.')}
      </Empty>
    );
  }
  const python = system.python;
  const pythonText =
    python && typeof python === 'object' && !Array.isArray(python)
      ? [part(python, 'version'), part(python, 'implementation')]
          .filter(Boolean)
          .join(' ') || null
      : part(python);
  const git = system.git;
  let gitText: string | null = null;
  if (git && typeof git === 'object' && !Array.isArray(git) && git.commit) {
    const branch = part(git, 'branch');
    gitText = String(git.commit);
    if (branch) {
      gitText = trans.__('%1 on %2', gitText, branch);
    }
    if (git.dirty) {
      gitText = trans.__('%1, with uncommitted changes', gitText);
    }
  }
  const gpus = Array.isArray(system.gpus) ? system.gpus : [];
  const argv = Array.isArray(system.argv) ? system.argv : [];
  const rows: { label: string; value: React.ReactNode; testId: string }[] = [
    { label: trans.__('Host'), value: part(system.host), testId: 'host' },
    { label: trans.__('User'), value: part(system.user), testId: 'user' },
    {
      label: trans.__('Platform'),
      value: part(system.platform),
      testId: 'platform'
    },
    { label: trans.__('Python'), value: pythonText, testId: 'python' },
    {
      label: trans.__('PyTorch'),
      value: part(system.torch, 'version'),
      testId: 'torch'
    },
    {
      label: trans.__('CUDA'),
      value: part(system.cuda) ?? part(system.torch, 'cuda'),
      testId: 'cuda'
    },
    {
      label: trans.__('NVIDIA driver'),
      value: part(system.cuda_driver),
      testId: 'cuda-driver'
    },
    {
      label: trans.__('GPUs'),
      value:
        gpus.length > 0 ? (
          <ul className="jp-DLExperiments-plainList">
            {gpus.map((gpu, index) => (
              <li key={index}>{gpuText(gpu)}</li>
            ))}
          </ul>
        ) : (
          trans.__('None')
        ),
      testId: 'gpus'
    },
    {
      label: trans.__('Git commit'),
      value: gitText,
      testId: 'git'
    },
    {
      label: trans.__('Git remote'),
      value: part(git ?? undefined, 'remote'),
      testId: 'git-remote'
    },
    {
      label: trans.__('Notebook'),
      value: part(system.notebook, 'path'),
      testId: 'notebook'
    },
    {
      label: trans.__('Script'),
      value: part(system.script, 'path'),
      testId: 'script'
    },
    {
      label: trans.__('Directory'),
      value: part(system.cwd),
      testId: 'cwd'
    },
    {
      label: trans.__('Command'),
      value: argv.length > 0 ? <code>{argv.join(' ')}</code> : null,
      testId: 'argv'
    }
  ].filter(
    row => row.value !== null || ['host', 'python'].includes(row.testId)
  );
  const others = Object.entries(system).filter(
    ([key]) => !SYSTEM_FIELDS.has(key)
  );

  return (
    <div data-testid="dl-run-system">
      <table
        className="jp-DLExperiments-kvTable jp-mod-facts"
        aria-label={trans.__('System')}
      >
        <tbody>
          {rows.map(row => (
            <tr key={row.testId} data-testid={`dl-system-${row.testId}`}>
              <th scope="row">{row.label}</th>
              <td>
                {row.value === null ? (
                  <span className="jp-DLExperiments-missing">—</span>
                ) : (
                  row.value
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {others.length > 0 && (
        <>
          <h3 className="jp-DLExperiments-subheading">{trans.__('More')}</h3>
          <KeyValueTable
            values={others.reduce<Record<string, JSONValue>>(
              (all, [key, value]) => {
                all[key] = value;
                return all;
              },
              {}
            )}
            empty=""
            label={trans.__('More system information')}
            testId="dl-system-more"
          />
        </>
      )}
    </div>
  );
}

function gpuText(gpu: JSONValue): string {
  if (gpu !== null && typeof gpu === 'object' && !Array.isArray(gpu)) {
    const name = typeof gpu.name === 'string' ? gpu.name : null;
    const memory =
      typeof gpu.memory_total === 'number'
        ? `${(gpu.memory_total / 1024 ** 3).toFixed(1)} GiB`
        : null;
    if (name) {
      return memory ? `${name} · ${memory}` : name;
    }
  }
  return formatValueFull(gpu);
}
