/**
 * Label/value pairs, the way the sidebar shows every platform fact.
 */
import * as React from 'react';

export interface IFact {
  label: string;
  /**
   * The value as shown; `null` renders the `missing` text dimmed.
   */
  value: string | null;
  /**
   * Text shown when `value` is `null`.
   */
  missing?: string;
  /**
   * `data-testid` of the value element.
   */
  testId: string;
  /**
   * Full text for the tooltip when the value may be truncated.
   */
  title?: string;
  /**
   * Render the value in the monospace font (paths, versions).
   */
  code?: boolean;
  /**
   * Let a long value (a path) wrap instead of being cut short.
   */
  wrap?: boolean;
}

/**
 * A path with a line-break opportunity after each separator, so a wrapped
 * path breaks between directories rather than inside a name.
 */
function breakable(value: string): React.ReactNode[] {
  return value.split(/(?<=[/\\])/).map((part, index) => (
    <React.Fragment key={index}>
      {index > 0 && <wbr />}
      {part}
    </React.Fragment>
  ));
}

export function FactList(props: { facts: IFact[] }): JSX.Element {
  return (
    <dl className="jp-DLSidebar-facts">
      {props.facts.map(fact => (
        <div className="jp-DLSidebar-fact" key={fact.testId}>
          <dt className="jp-DLSidebar-factLabel">{fact.label}</dt>
          <dd
            className={
              'jp-DLSidebar-factValue' +
              (fact.value === null ? ' jp-mod-missing' : '') +
              (fact.code ? ' jp-mod-code' : '') +
              (fact.wrap ? ' jp-mod-wrap' : '')
            }
            data-testid={fact.testId}
            title={fact.title ?? fact.value ?? undefined}
          >
            {fact.value === null
              ? (fact.missing ?? '—')
              : fact.wrap
                ? breakable(fact.value)
                : fact.value}
          </dd>
        </div>
      ))}
    </dl>
  );
}
