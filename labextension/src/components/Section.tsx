/**
 * A titled block of the sidebar, headed like JupyterLab's own sidebar sections.
 */
import * as React from 'react';

export interface ISectionProps {
  /**
   * A stable id for the heading, used to label the section.
   */
  id: string;
  title: string;
  /**
   * Extra content on the right of the heading, e.g. a count.
   */
  aside?: React.ReactNode;
  children: React.ReactNode;
}

export function Section(props: ISectionProps): JSX.Element {
  const headingId = `jp-DLSidebar-section-${props.id}`;
  return (
    <section
      className="jp-DLSidebar-section"
      aria-labelledby={headingId}
      data-testid={`dl-section-${props.id}`}
    >
      <h3 className="jp-DLSidebar-sectionHeader" id={headingId}>
        <span className="jp-DLSidebar-sectionTitle">{props.title}</span>
        {props.aside !== undefined && (
          <span className="jp-DLSidebar-sectionAside">{props.aside}</span>
        )}
      </h3>
      <div className="jp-DLSidebar-sectionBody">{props.children}</div>
    </section>
  );
}
