/**
 * A list of fixed-height rows that renders only the rows in view, so a
 * folder of 100k files costs what a screenful costs. The scroll height is
 * the whole list's (its `count`); rows not loaded yet render as
 * placeholders, and `onRangeChange` tells the owner which rows are in view
 * so it can fetch them.
 *
 * Keyboard focus stays on the list itself and the active row is named by
 * `aria-activedescendant`: rows come and go as the list scrolls, so none of
 * them can hold focus. ↑ ↓ PageUp PageDown Home End move, Enter or Space
 * activates.
 */
import * as React from 'react';

/**
 * Rows rendered above and below the visible ones, so that scrolling a
 * little shows rows that are already there.
 */
const OVERSCAN = 8;

export interface IVirtualListProps {
  /**
   * Rows in the whole list, loaded or not.
   */
  count: number;
  /**
   * Rows the keyboard can reach: the loaded ones.
   */
  navigable: number;
  /**
   * Height of every row, in pixels.
   */
  rowHeight: number;
  /**
   * The row the keyboard is on, `-1` for none.
   */
  activeIndex: number;
  /**
   * Row ids are `<idPrefix>-<index>`; unique in the document.
   */
  idPrefix: string;
  label: string;
  className?: string;
  testId?: string;
  /**
   * The content of a row; the list places it.
   */
  renderRow: (index: number) => React.ReactNode;
  /**
   * Extra attributes of a row, e.g. its `className` or `data-*`.
   */
  rowAttributes?: (index: number) => Record<string, string | undefined>;
  onActiveChange: (index: number) => void;
  /**
   * Enter, Space or a double click on a row.
   */
  onActivate?: (index: number) => void;
  /**
   * Keys the list does not handle; return `true` when handled.
   */
  onKeyDown?: (event: React.KeyboardEvent) => boolean;
  /**
   * The rows in view (end exclusive), whenever they change.
   */
  onRangeChange?: (start: number, end: number) => void;
  /**
   * Shown instead of rows when the list is empty.
   */
  empty?: React.ReactNode;
}

export function VirtualList(props: IVirtualListProps): JSX.Element {
  const {
    count,
    navigable,
    rowHeight,
    activeIndex,
    idPrefix,
    onActiveChange,
    onActivate,
    onRangeChange
  } = props;
  const scroller = React.useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = React.useState(0);
  const [height, setHeight] = React.useState(0);

  React.useLayoutEffect(() => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    setHeight(node.clientHeight);
    const observer = new ResizeObserver(() => setHeight(node.clientHeight));
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  const visibleStart = Math.floor(scrollTop / rowHeight);
  const visibleEnd = Math.min(
    count,
    Math.ceil((scrollTop + height) / rowHeight)
  );
  const start = Math.max(0, visibleStart - OVERSCAN);
  const end = Math.min(count, visibleEnd + OVERSCAN);

  React.useEffect(() => {
    onRangeChange?.(start, end);
  }, [start, end]);

  // A list scrolled past its end (a shorter folder now) scrolls back.
  React.useEffect(() => {
    const node = scroller.current;
    if (node && node.scrollTop > Math.max(0, count * rowHeight - height)) {
      node.scrollTop = Math.max(0, count * rowHeight - height);
      setScrollTop(node.scrollTop);
    }
  }, [count]);

  const scrollToRow = (index: number): void => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const top = index * rowHeight;
    if (top < node.scrollTop) {
      node.scrollTop = top;
    } else if (top + rowHeight > node.scrollTop + node.clientHeight) {
      node.scrollTop = top + rowHeight - node.clientHeight;
    }
  };

  React.useEffect(() => {
    if (activeIndex >= 0) {
      scrollToRow(activeIndex);
    }
  }, [activeIndex]);

  const move = (index: number): void => {
    if (navigable === 0) {
      return;
    }
    const next = Math.max(0, Math.min(navigable - 1, index));
    onActiveChange(next);
    scrollToRow(next);
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>): void => {
    const page = Math.max(1, Math.floor(height / rowHeight) - 1);
    switch (event.key) {
      case 'ArrowDown':
        move(activeIndex + 1);
        break;
      case 'ArrowUp':
        move(activeIndex < 0 ? 0 : activeIndex - 1);
        break;
      case 'PageDown':
        move(activeIndex + page);
        break;
      case 'PageUp':
        move(activeIndex - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(navigable - 1);
        break;
      case 'Enter':
      case ' ':
        if (activeIndex >= 0 && onActivate) {
          onActivate(activeIndex);
        } else {
          return;
        }
        break;
      default:
        if (!props.onKeyDown?.(event)) {
          return;
        }
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const rows: JSX.Element[] = [];
  for (let index = start; index < end; index++) {
    const attributes = props.rowAttributes?.(index) ?? {};
    const className = attributes.className;
    delete attributes.className;
    rows.push(
      <div
        key={index}
        id={`${idPrefix}-${index}`}
        role="option"
        aria-selected={index === activeIndex}
        aria-posinset={index + 1}
        aria-setsize={count}
        className={
          'jp-DLDatasets-row' +
          (index === activeIndex ? ' jp-mod-active' : '') +
          (className ? ` ${className}` : '')
        }
        style={{ top: index * rowHeight, height: rowHeight }}
        onClick={() => {
          if (index < navigable) {
            onActiveChange(index);
          }
        }}
        onDoubleClick={() => {
          if (index < navigable) {
            onActivate?.(index);
          }
        }}
        {...attributes}
      >
        {props.renderRow(index)}
      </div>
    );
  }

  const activeRendered = activeIndex >= start && activeIndex < end;
  return (
    <div
      ref={scroller}
      className={
        'jp-DLDatasets-virtualList' +
        (props.className ? ` ${props.className}` : '')
      }
      role="listbox"
      tabIndex={0}
      aria-label={props.label}
      aria-activedescendant={
        activeRendered ? `${idPrefix}-${activeIndex}` : undefined
      }
      data-testid={props.testId}
      data-count={count}
      onScroll={event => setScrollTop(event.currentTarget.scrollTop)}
      onKeyDown={onKeyDown}
    >
      {count === 0 && props.empty}
      <div
        className="jp-DLDatasets-virtualListBody"
        style={{ height: count * rowHeight }}
      >
        {rows}
      </div>
    </div>
  );
}
