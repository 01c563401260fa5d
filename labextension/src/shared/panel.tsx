/**
 * The shell every panel of the platform shares: a main-area widget whose
 * toolbar says where one is (breadcrumbs, with a way back), how fresh the
 * view is, and refreshes it. Panels differ in their body only.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import {
  caretLeftIcon,
  LabIcon,
  ReactWidget,
  refreshIcon,
  Toolbar,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { IRefreshable, PANEL_CLASS } from '../tokens';
import { Spinner } from './feedback';

/**
 * The body of a panel whose model refreshes itself only while the panel is on
 * show (``isActive``): keys reach ``handleEvent`` while it is attached, and
 * activating the panel puts the keyboard focus in its current view.
 */
export abstract class LiveContent<
  M extends { isActive: boolean }
> extends ReactWidget {
  constructor(model: M) {
    super();
    this.model = model;
    this.node.tabIndex = -1;
  }

  readonly model: M;

  abstract handleEvent(event: Event): void;

  /**
   * Move the keyboard focus into the view on show.
   */
  protected abstract focusView(): void;

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.node.addEventListener('keydown', this);
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.isActive = false;
    this.node.removeEventListener('keydown', this);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.isActive = true;
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.isActive = false;
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (!this.node.contains(document.activeElement)) {
      this.focusView();
    }
  }
}

/**
 * A main-area panel of the platform with its toolbar: location, spacer,
 * freshness (optional) and refresh.
 */
export class PlatformPanel<T extends Widget>
  extends MainAreaWidget<T>
  implements IRefreshable
{
  constructor(options: PlatformPanel.IOptions<T>) {
    const translator = options.translator ?? nullTranslator;
    super({ content: options.content, translator });
    this.id = options.id;
    this.addClass(PANEL_CLASS);
    this.addClass(options.className);
    this.title.label = options.label;
    this.title.caption = options.label;
    this.title.icon = options.icon;
    this.title.closable = true;

    const location = ReactWidget.create(options.location);
    location.addClass('jp-DLPanel-locationItem');
    this.toolbar.addItem('location', location);
    this.toolbar.addItem('spacer', Toolbar.createSpacerItem());
    if (options.status) {
      const status = ReactWidget.create(options.status);
      status.addClass('jp-DLPanel-freshnessItem');
      this.toolbar.addItem('freshness', status);
    }
    const refresh = ReactWidget.create(
      <ToolbarButtonComponent
        icon={refreshIcon}
        dataset={{ testid: options.refresh.testId }}
        tooltip={options.refresh.tooltip}
        onClick={options.refresh.onClick}
      />
    );
    refresh.addClass('jp-ToolbarButton');
    this.toolbar.addItem('refresh', refresh);
    this.toolbar.node.setAttribute('aria-label', options.toolbarLabel);
    this._refresh = options.refresh.onClick;
  }

  /**
   * Load the view on show again, as the toolbar's refresh button does.
   */
  refresh(): void {
    this._refresh();
  }

  private _refresh: () => void;
}

export namespace PlatformPanel {
  export interface IOptions<T extends Widget> {
    content: T;
    /**
     * The id in the shell and the layout restorer.
     */
    id: string;
    /**
     * The panel's own class, beside `jp-DLPanelShell`.
     */
    className: string;
    /**
     * The tab's label.
     */
    label: string;
    icon: LabIcon;
    /**
     * What the toolbar shows on the left, rendered again by the element
     * itself (a `UseSignal`) as the view changes.
     */
    location: JSX.Element;
    /**
     * How fresh the view is, beside the refresh button.
     */
    status?: JSX.Element;
    refresh: {
      tooltip: string;
      testId: string;
      onClick: () => void;
    };
    /**
     * The toolbar's name for screen readers.
     */
    toolbarLabel: string;
    translator?: ITranslator;
  }
}

/**
 * One step of the location.
 */
export interface ICrumb {
  label: string;
  testId?: string;
  /**
   * The full text, when the label may be cut short.
   */
  title?: string;
}

export interface ILocationProps {
  /**
   * The steps to where one is; the last is where one is.
   */
  crumbs: ICrumb[];
  /**
   * A button back to the list the view was opened from.
   */
  back?: {
    label: string;
    tooltip: string;
    testId: string;
    onClick: () => void;
  };
  testId: string;
}

/**
 * Where the panel is, e.g. `‹ Jobs / mnist-ddp`.
 */
export function Location(props: ILocationProps): JSX.Element {
  const { back, crumbs, testId } = props;
  const parts: React.ReactNode[] = [];
  if (back) {
    parts.push(
      <ToolbarButtonComponent
        key="back"
        icon={caretLeftIcon}
        label={back.label}
        tooltip={back.tooltip}
        dataset={{ testid: back.testId }}
        onClick={back.onClick}
      />
    );
  }
  crumbs.forEach((crumb, index) => {
    if (parts.length > 0) {
      parts.push(
        <span
          key={`separator-${index}`}
          className="jp-DLPanel-crumbSeparator"
          aria-hidden="true"
        >
          /
        </span>
      );
    }
    const current = index === crumbs.length - 1;
    parts.push(
      <span
        key={`crumb-${index}`}
        className={'jp-DLPanel-crumb' + (current ? ' jp-mod-current' : '')}
        title={crumb.title}
        data-testid={crumb.testId}
      >
        {crumb.label}
      </span>
    );
  });
  return (
    <span className="jp-DLPanel-location" data-testid={testId}>
      {parts}
    </span>
  );
}

export interface IFreshnessProps {
  /**
   * Whether the view refreshes by itself.
   */
  live: boolean;
  /**
   * Says how often, and why.
   */
  liveTitle: string;
  updated: Date | null;
  loading: boolean;
  trans: TranslationBundle;
}

/**
 * "Live" while the view refreshes by itself, and when it last did.
 */
export function Freshness(props: IFreshnessProps): JSX.Element {
  const { live, liveTitle, loading, trans, updated } = props;
  return (
    <span className="jp-DLPanel-freshness" data-testid="dl-freshness">
      {loading && !live && <Spinner />}
      {live && (
        <span
          className="jp-DLPanel-live"
          title={liveTitle}
          data-testid="dl-live"
        >
          {trans.__('Live')}
        </span>
      )}
      {updated && (
        <span className="jp-DLPanel-updated" title={updated.toLocaleString()}>
          {trans.__('Updated %1', updated.toLocaleTimeString())}
        </span>
      )}
    </span>
  );
}
