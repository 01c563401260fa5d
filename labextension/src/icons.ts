/**
 * The extension's icons, themed through JupyterLab's `jp-icon*` classes.
 */
import { LabIcon } from '@jupyterlab/ui-components';

import deepLearningSvg from '../style/icons/deep-learning.svg';

export const deepLearningIcon = new LabIcon({
  name: 'jupyter-dl:deep-learning',
  svgstr: deepLearningSvg
});
