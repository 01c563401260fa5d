/**
 * The Deep Learning sidebar: a JupyterLab side panel whose header, toolbar
 * and body render one `IPlatformInfoModel`. Showing the panel activates the
 * model (and so its polling); hiding it lets the model stand by.
 */
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ReactWidget, SidePanel, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import * as React from 'react';

import { PlatformInfoView } from './components/PlatformInfoView';
import { LastUpdated, RefreshButton } from './components/RefreshControls';
import { deepLearningIcon } from './icons';
import { IPlatformInfoModel, SIDEBAR_ID } from './tokens';

export class DeepLearningSidebar extends SidePanel {
  constructor(options: DeepLearningSidebar.IOptions) {
    const translator = options.translator ?? nullTranslator;
    // A plain panel instead of the default accordion: the facts are short
    // and read best as one scrolling list.
    super({ content: new Panel(), translator });
    const trans = translator.load('jupyter_dl');
    const { model } = options;
    this._model = model;

    this.id = SIDEBAR_ID;
    this.addClass('jp-DLSidebar');
    this.title.icon = deepLearningIcon;
    this.title.caption = trans.__('Deep Learning');

    // JupyterLab styles an h2 in a side panel header as the panel's title.
    const heading = new Widget({ node: document.createElement('h2') });
    heading.addClass('jp-DLSidebar-title');
    heading.node.textContent = trans.__('Deep Learning');
    this.header.addWidget(heading);

    const watch = (render: () => JSX.Element): ReactWidget =>
      ReactWidget.create(
        <UseSignal signal={model.changed}>{render}</UseSignal>
      );

    const refresh = watch(() => <RefreshButton model={model} trans={trans} />);
    refresh.addClass('jp-ToolbarButton');
    this.toolbar.addItem('refresh', refresh);
    // No spacer: the sidebar is too narrow for the buttons, a spacer and the
    // time on one line. The time takes the room left and is cut short.
    const updated = watch(() => <LastUpdated model={model} trans={trans} />);
    updated.addClass('jp-DLSidebar-updatedItem');
    this.toolbar.addItem('updated', updated);
    this.toolbar.node.setAttribute(
      'aria-label',
      trans.__('Deep Learning sidebar toolbar')
    );

    const body = watch(() => <PlatformInfoView model={model} trans={trans} />);
    body.addClass('jp-DLSidebar-content');
    this.content.node.setAttribute(
      'aria-label',
      trans.__('Deep Learning platform information')
    );
    this.addWidget(body);
  }

  get model(): IPlatformInfoModel {
    return this._model;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.isActive = true;
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.isActive = false;
  }

  protected onBeforeDetach(msg: Message): void {
    this._model.isActive = false;
    super.onBeforeDetach(msg);
  }

  private _model: IPlatformInfoModel;
}

export namespace DeepLearningSidebar {
  export interface IOptions {
    model: IPlatformInfoModel;
    translator?: ITranslator;
  }
}
