/**
 * Keyboard use of a table whose rows open something: one row is the Tab
 * stop, the arrow keys, Home and End move between rows, Enter or Space
 * opens.
 */
import * as React from 'react';

export interface IRowKeys {
  /**
   * The row that is the Tab stop.
   */
  focusIndex: number;
  /**
   * Props for row `index`: its ref, tab index and handlers.
   */
  rowProps(index: number): {
    ref: (node: HTMLTableRowElement | null) => void;
    tabIndex: number;
    onKeyDown: (event: React.KeyboardEvent) => void;
    onFocus: () => void;
  };
}

/**
 * Roving focus over `count` rows; `onOpen(index)` on Enter or Space, `onEnd`
 * when End is pressed (to load more rows).
 */
export function useRowKeys(
  count: number,
  onOpen: (index: number) => void,
  onEnd?: () => void
): IRowKeys {
  const [focused, setFocused] = React.useState(0);
  const rows = React.useRef<(HTMLTableRowElement | null)[]>([]);
  const focusIndex = Math.min(focused, Math.max(count - 1, 0));

  const move = (index: number): void => {
    const next = Math.max(0, Math.min(count - 1, index));
    setFocused(next);
    rows.current[next]?.focus();
    rows.current[next]?.scrollIntoView({ block: 'nearest' });
  };

  return {
    focusIndex,
    rowProps: (index: number) => ({
      ref: (node: HTMLTableRowElement | null) => {
        rows.current[index] = node;
      },
      tabIndex: index === focusIndex ? 0 : -1,
      onFocus: () => setFocused(index),
      onKeyDown: (event: React.KeyboardEvent) => {
        switch (event.key) {
          case 'ArrowDown':
            move(index + 1);
            break;
          case 'ArrowUp':
            move(index - 1);
            break;
          case 'Home':
            move(0);
            break;
          case 'End':
            move(count - 1);
            onEnd?.();
            break;
          case 'Enter':
          case ' ':
            onOpen(index);
            break;
          default:
            return;
        }
        event.preventDefault();
        event.stopPropagation();
      }
    })
  };
}
