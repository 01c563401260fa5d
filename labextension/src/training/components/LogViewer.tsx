/**
 * A rank's log in monospace, following the job: new output is appended as
 * it arrives and scrolled into view while the reader is at the bottom;
 * scrolling up to read stops the scrolling until the bottom is reached again.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ErrorBanner, Spinner } from '../../shared/feedback';
import { formatBytes } from '../../shared/format';
import { LogModel } from '../logModel';

/**
 * How close to the bottom, in pixels, still counts as at the bottom.
 */
const BOTTOM_SLACK_PX = 24;

export interface ILogViewerProps {
  log: LogModel;
  /**
   * How many ranks the job has, for the rank selector.
   */
  ranks: number;
  onRank: (rank: number) => void;
  trans: TranslationBundle;
}

export function LogViewer(props: ILogViewerProps): JSX.Element {
  const { log, onRank, ranks, trans } = props;
  const scroller = React.useRef<HTMLPreElement>(null);
  const atBottom = React.useRef(true);

  const onScroll = (): void => {
    const node = scroller.current;
    if (node) {
      atBottom.current =
        node.scrollHeight - node.scrollTop - node.clientHeight <=
        BOTTOM_SLACK_PX;
    }
  };

  // New text keeps the end in view while the reader is there.
  React.useLayoutEffect(() => {
    const node = scroller.current;
    if (node && atBottom.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, [log.text, log]);

  // Another rank starts at its end.
  React.useEffect(() => {
    atBottom.current = true;
  }, [log]);

  let state: React.ReactNode;
  if (log.isLoading) {
    state = (
      <span className="jp-DLTraining-logState">
        <Spinner />
        {trans.__('Loading…')}
      </span>
    );
  } else if (log.isFollowing) {
    state = (
      <span
        className="jp-DLTraining-logState jp-mod-following"
        data-testid="dl-log-following"
        title={trans.__('New output appears as the job writes it')}
      >
        {trans.__('Following…')}
      </span>
    );
  } else if (log.done) {
    state = (
      <span className="jp-DLTraining-logState" data-testid="dl-log-done">
        {trans.__('End of log · %1', formatBytes(log.size))}
      </span>
    );
  }

  return (
    <section
      className="jp-DLTraining-log"
      aria-label={trans.__('Output of rank %1', log.rank)}
      data-testid="dl-job-log"
      data-rank={log.rank}
      data-done={log.done}
    >
      <div className="jp-DLTraining-logBar">
        <h3 className="jp-DLTraining-subheading">{trans.__('Output')}</h3>
        {ranks > 1 && (
          <label className="jp-DLTraining-field">
            <span className="jp-DLTraining-fieldLabel">{trans.__('Rank')}</span>
            <HTMLSelect
              value={String(log.rank)}
              options={Array.from({ length: ranks }, (_, rank) => ({
                value: String(rank),
                label: String(rank)
              }))}
              onChange={event => onRank(Number(event.target.value))}
              aria-label={trans.__('Rank whose output to show')}
              data-testid="dl-log-rank"
            />
          </label>
        )}
        <span className="jp-DLPanel-spacer" />
        {state}
      </div>
      {log.error && (
        <ErrorBanner
          error={log.error}
          title={trans.__('Could not read the output.')}
          trans={trans}
          onRetry={() => void log.refresh()}
        />
      )}
      <pre
        ref={scroller}
        className="jp-DLTraining-logText"
        tabIndex={0}
        onScroll={onScroll}
        data-testid="dl-log-text"
      >
        {log.skippedBytes > 0 && (
          <span className="jp-DLTraining-logSkipped">
            {trans.__(
              '… %1 of earlier output not shown\n',
              formatBytes(log.skippedBytes)
            )}
          </span>
        )}
        {log.text}
        {!log.isLoading && log.text === '' && (
          <span className="jp-DLTraining-logEmpty">
            {log.done
              ? trans.__('The rank wrote nothing.')
              : trans.__('No output yet.')}
          </span>
        )}
      </pre>
    </section>
  );
}
