/**
 * The status bar item: GPU-hours used of the user's budget ("GPU 3.2/100 h"),
 * in the theme's warning colour near the limit and its error colour at it.
 * Its tooltip says the rest (limits, whose they are, running servers, the
 * latest notice); a click, Enter or Space opens the quota page.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { IQuotaStatus } from './api';
import { QuotaModel } from './model';

export class QuotaStatusItem extends Widget {
  constructor(
    readonly model: QuotaModel,
    readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-DLQuotaStatus');
    this.node.setAttribute('role', 'button');
    this.node.tabIndex = 0;
    this.node.addEventListener('click', this);
    this.node.addEventListener('keydown', this);
    model.changed.connect(this._render, this);
    this._render();
  }

  handleEvent(event: Event): void {
    const key = event instanceof KeyboardEvent ? event.key : null;
    if (event.type === 'click' || key === 'Enter' || key === ' ') {
      // Space would also scroll the page, as it does for any button.
      event.preventDefault();
      window.open(this.model.pageUrl, '_blank', 'noopener');
    }
  }

  dispose(): void {
    this.model.changed.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const status = this.model.status;
    const state = status?.budget.state ?? 'unknown';
    for (const name of ['ok', 'warning', 'exhausted', 'unlimited', 'unknown']) {
      this.node.classList.toggle(`jp-mod-${name}`, name === state);
    }
    if (status === null) {
      this.node.textContent = this.trans.__('GPU –');
      this.node.title =
        this.model.error ?? this.trans.__('Reading your GPU quota…');
      return;
    }
    this.node.textContent = Private.label(status, this.trans);
    this.node.title = Private.tooltip(status, this.model.error, this.trans);
  }
}

namespace Private {
  /**
   * One decimal for use, the limit as the admin wrote it.
   */
  export function label(
    status: IQuotaStatus,
    trans: TranslationBundle
  ): string {
    const used = status.budget.used_hours.toFixed(1);
    const limit = status.budget.limit_hours;
    return limit === 'unlimited'
      ? trans.__('GPU %1 h', used)
      : trans.__('GPU %1/%2 h', used, limit);
  }

  export function tooltip(
    status: IQuotaStatus,
    error: string | null,
    trans: TranslationBundle
  ): string {
    const { budget, limits, usage } = status;
    const used = budget.used_hours.toFixed(2);
    const lines = [
      budget.limit_hours === 'unlimited'
        ? trans.__(
            '%1 GPU-hours used in the last %2 days (no limit)',
            used,
            budget.period_days
          )
        : trans.__(
            '%1 of %2 GPU-hours used in the last %3 days (%4)',
            used,
            budget.limit_hours,
            budget.period_days,
            budget.source
          ),
      trans.__('Running: %1 servers, %2 GPUs', usage.servers, usage.gpus),
      trans.__(
        'GPUs at once: %1 (%2)',
        limits.max_gpus,
        limits.sources.max_gpus
      ),
      trans.__(
        'Servers at once: %1 (%2)',
        limits.max_servers,
        limits.sources.max_servers
      )
    ];
    if (status.notices.length > 0) {
      lines.push(status.notices[0].message);
    }
    if (error) {
      lines.push(trans.__('Last update failed: %1', error));
    }
    lines.push(trans.__('Click to open your quota page.'));
    return lines.join('\n');
  }
}
