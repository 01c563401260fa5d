/**
 * The plugin of the quota status bar item: only in a lab the jupyter-dl hub
 * started (JupyterLab's page then names the hub), and only once the quota
 * has been read, so a hub without the quota service shows nothing. The item's code
 * loads then, not while the lab starts.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { quotaPageUrl } from './api';
import { QuotaModel } from './model';

export const quotaPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-dl:quota',
  description:
    'Shows your GPU-hours against your quota in the status bar, warning near the limit.',
  autoStart: true,
  optional: [IStatusBar, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    statusBar: IStatusBar | null,
    translator: ITranslator | null
  ): void => {
    const pageUrl = quotaPageUrl();
    if (!statusBar || !pageUrl) {
      return;
    }
    const trans = (translator ?? nullTranslator).load('jupyter_dl');
    const model = new QuotaModel(pageUrl);
    const register = async (): Promise<void> => {
      if (model.status === null) {
        return;
      }
      model.changed.disconnect(register);
      const { QuotaStatusItem } = await import('./statusbar');
      statusBar.registerStatusItem(quotaPlugin.id, {
        item: new QuotaStatusItem(model, trans),
        align: 'left',
        rank: 900
      });
    };
    model.changed.connect(register);
  }
};
