/**
 * The Models panel's icon, themed through JupyterLab's `jp-icon*` classes.
 */
import { LabIcon } from '@jupyterlab/ui-components';

import modelsSvg from '../../style/icons/models.svg';

export const modelsIcon = new LabIcon({
  name: 'jupyter-dl:models',
  svgstr: modelsSvg
});
