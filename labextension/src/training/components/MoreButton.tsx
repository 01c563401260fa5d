/**
 * "Load more" under a list, which also fires by itself when scrolled into view.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { Spinner } from '../../shared/feedback';
import { LiveList } from '../../shared/liveList';

export function MoreButton<T>(props: {
  list: LiveList<T>;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { list, trans } = props;
  const sentinel = React.useRef<HTMLDivElement>(null);
  const hasMore = list.hasMore;

  React.useEffect(() => {
    const node = sentinel.current;
    if (!node || !hasMore) {
      return;
    }
    const observer = new IntersectionObserver(entries => {
      if (entries.some(entry => entry.isIntersecting)) {
        void list.loadMore();
      }
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasMore, list.items.length]);

  if (!hasMore) {
    return null;
  }
  return (
    <div className="jp-DLTraining-more" ref={sentinel}>
      <button
        type="button"
        className="jp-DLPanel-button"
        disabled={list.isLoadingMore}
        onClick={() => void list.loadMore()}
        data-testid="dl-load-more"
      >
        {list.isLoadingMore && <Spinner />}
        {trans.__('Load more')}
      </button>
    </div>
  );
}
