/**
 * The Training panel's icon, themed through JupyterLab's `jp-icon*` classes.
 */
import { LabIcon } from '@jupyterlab/ui-components';

import trainingSvg from '../../style/icons/training.svg';

export const trainingIcon = new LabIcon({
  name: 'jupyter-dl:training',
  svgstr: trainingSvg
});
