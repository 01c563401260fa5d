/**
 * A row of tabs (WAI-ARIA tablist): click or arrow keys choose one, Home
 * and End the first and last. The caller renders the tab panel, labelled
 * with `tabPanelProps`.
 */
import * as React from 'react';

export interface ITab<T extends string> {
  id: T;
  label: React.ReactNode;
}

export interface ITabListProps<T extends string> {
  tabs: ITab<T>[];
  current: T;
  onChange: (id: T) => void;
  /**
   * What the tabs choose between, for screen readers.
   */
  label: string;
  /**
   * Makes the ids of the tabs and their panel unique in the page.
   */
  idPrefix: string;
  /**
   * Each tab's test id is this prefix and the tab's id.
   */
  testIdPrefix: string;
}

export function TabList<T extends string>(
  props: ITabListProps<T>
): JSX.Element {
  const { current, idPrefix, label, onChange, tabs, testIdPrefix } = props;

  const onKeyDown = (event: React.KeyboardEvent, index: number): void => {
    let next = index;
    if (event.key === 'ArrowRight') {
      next = (index + 1) % tabs.length;
    } else if (event.key === 'ArrowLeft') {
      next = (index - 1 + tabs.length) % tabs.length;
    } else if (event.key === 'Home') {
      next = 0;
    } else if (event.key === 'End') {
      next = tabs.length - 1;
    } else {
      return;
    }
    event.preventDefault();
    onChange(tabs[next].id);
    const list = (event.currentTarget as HTMLElement).parentElement;
    (list?.children[next] as HTMLElement | undefined)?.focus();
  };

  return (
    <div className="jp-DLPanel-tabs" role="tablist" aria-label={label}>
      {tabs.map((tab, index) => (
        <button
          key={tab.id}
          type="button"
          role="tab"
          id={`${idPrefix}-tab-${tab.id}`}
          aria-selected={current === tab.id}
          aria-controls={`${idPrefix}-tabpanel-${tab.id}`}
          tabIndex={current === tab.id ? 0 : -1}
          className={
            'jp-DLPanel-tab' + (current === tab.id ? ' jp-mod-current' : '')
          }
          onClick={() => onChange(tab.id)}
          onKeyDown={event => onKeyDown(event, index)}
          data-testid={`${testIdPrefix}${tab.id}`}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

/**
 * The attributes of the panel showing tab `current`.
 */
export function tabPanelProps(
  idPrefix: string,
  current: string
): {
  role: 'tabpanel';
  id: string;
  'aria-labelledby': string;
} {
  return {
    role: 'tabpanel',
    id: `${idPrefix}-tabpanel-${current}`,
    'aria-labelledby': `${idPrefix}-tab-${current}`
  };
}
