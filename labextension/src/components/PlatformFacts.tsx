/**
 * Versions and host of the running platform.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IPlatformInfo } from '../tokens';
import { FactList, IFact } from './FactList';

export interface IPlatformFactsProps {
  info: IPlatformInfo;
  trans: TranslationBundle;
}

export function PlatformFacts(props: IPlatformFactsProps): JSX.Element {
  const { info, trans } = props;
  const facts: IFact[] = [
    {
      label: trans.__('Version'),
      value: info.version,
      testId: 'dl-version',
      code: true
    },
    {
      label: trans.__('PyTorch'),
      value: info.torch,
      missing: trans.__('Not installed'),
      testId: 'dl-torch',
      code: true
    },
    {
      label: trans.__('CUDA driver'),
      value: info.cuda_driver,
      missing: trans.__('None'),
      testId: 'dl-cuda-driver',
      code: true
    },
    {
      label: trans.__('Python'),
      value: info.python,
      testId: 'dl-python',
      code: true
    },
    { label: trans.__('Host'), value: info.host, testId: 'dl-host' }
  ];
  if (info.mode) {
    facts.push({
      label: trans.__('Mode'),
      value: info.mode,
      testId: 'dl-mode'
    });
  }
  return <FactList facts={facts} />;
}
