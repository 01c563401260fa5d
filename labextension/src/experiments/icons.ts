/**
 * The Experiments panel's icon, themed through JupyterLab's `jp-icon*` classes.
 */
import { LabIcon } from '@jupyterlab/ui-components';

import experimentsSvg from '../../style/icons/experiments.svg';

export const experimentsIcon = new LabIcon({
  name: 'jupyter-dl:experiments',
  svgstr: experimentsSvg
});
