/**
 * The images of a folder as a grid of server-made thumbnails. Like the file
 * list it renders only the rows in view (a folder of 100k images costs a
 * screenful), the browser fetches each thumbnail lazily, and reaching the
 * last row loads the folder’s next page. Arrow keys move, Enter or Space
 * opens an image in the preview, as a click does.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { imageIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { PagedList } from '../pagedList';
import { PreviewModel } from '../previewModel';
import { IDatasetEntry } from '../tokens';
import { Spinner } from '../../shared/feedback';

/**
 * A cell: the thumbnail's square and its caption, in pixels.
 */
const CELL = 112;
const CAPTION = 20;
const GAP = 8;
const ROW_HEIGHT = CELL + CAPTION + GAP;
const OVERSCAN_ROWS = 2;

export interface IImageGridProps {
  model: PreviewModel;
  folder: PagedList<IDatasetEntry>;
  trans: TranslationBundle;
}

export function ImageGrid(props: IImageGridProps): JSX.Element {
  const { model, folder, trans } = props;
  const images = model.images;
  const scroller = React.useRef<HTMLDivElement>(null);
  const [size, setSize] = React.useState({ width: 0, height: 0 });
  const [scrollTop, setScrollTop] = React.useState(0);
  const [active, setActive] = React.useState(-1);
  const [failed, setFailed] = React.useState<ReadonlySet<string>>(new Set());

  React.useLayoutEffect(() => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const measure = (): void =>
      setSize({ width: node.clientWidth, height: node.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  const columns = Math.max(1, Math.floor((size.width - GAP) / (CELL + GAP)));
  const rowCount =
    Math.ceil(images.length / columns) + (folder.hasMore ? 1 : 0);
  const firstRow = Math.max(
    0,
    Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN_ROWS
  );
  const lastRow = Math.min(
    rowCount,
    Math.ceil((scrollTop + size.height) / ROW_HEIGHT) + OVERSCAN_ROWS
  );

  // The row of placeholders after the loaded images is in view: load on.
  React.useEffect(() => {
    if (folder.hasMore && lastRow >= rowCount - 1 && !folder.isLoading) {
      void model.loadMoreImages();
    }
  }, [lastRow, rowCount, folder.hasMore, folder.isLoading]);

  const scrollToIndex = (index: number): void => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const top = Math.floor(index / columns) * ROW_HEIGHT;
    if (top < node.scrollTop) {
      node.scrollTop = top;
    } else if (top + ROW_HEIGHT > node.scrollTop + node.clientHeight) {
      node.scrollTop = top + ROW_HEIGHT - node.clientHeight;
    }
  };

  const move = (index: number): void => {
    if (images.length === 0) {
      return;
    }
    const next = Math.max(0, Math.min(images.length - 1, index));
    setActive(next);
    scrollToIndex(next);
  };

  const onKeyDown = (event: React.KeyboardEvent): void => {
    const current = Math.max(active, 0);
    switch (event.key) {
      case 'ArrowRight':
        move(active < 0 ? 0 : current + 1);
        break;
      case 'ArrowLeft':
        move(current - 1);
        break;
      case 'ArrowDown':
        move(active < 0 ? 0 : current + columns);
        break;
      case 'ArrowUp':
        move(current - columns);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(images.length - 1);
        break;
      case 'Enter':
      case ' ':
        if (images[active]) {
          model.openImage(images[active]);
        } else {
          return;
        }
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const cells: JSX.Element[] = [];
  for (let row = firstRow; row < lastRow; row++) {
    for (let column = 0; column < columns; column++) {
      const index = row * columns + column;
      const image = images[index];
      const style = {
        top: row * ROW_HEIGHT + GAP,
        left: GAP + column * (CELL + GAP),
        width: CELL
      };
      if (!image) {
        if (folder.hasMore) {
          cells.push(
            <div
              key={`pending-${index}`}
              className="jp-DLDatasets-gridCell jp-mod-pending"
              style={style}
              aria-hidden="true"
            >
              <div className="jp-DLDatasets-thumbnail" />
            </div>
          );
        }
        continue;
      }
      const broken = failed.has(image.path);
      cells.push(
        <div
          key={image.path}
          id={`jp-DLDatasets-image-${index}`}
          role="option"
          aria-selected={index === active}
          aria-posinset={index + 1}
          aria-setsize={folder.hasMore ? -1 : images.length}
          className={
            'jp-DLDatasets-gridCell' +
            (index === active ? ' jp-mod-active' : '')
          }
          style={style}
          title={
            broken
              ? trans.__('%1: no thumbnail; open it for the reason', image.name)
              : image.path
          }
          onClick={() => {
            setActive(index);
            model.openImage(image);
          }}
          data-testid="dl-grid-image"
          data-path={image.path}
        >
          <div className="jp-DLDatasets-thumbnail">
            {broken ? (
              <imageIcon.react
                tag="span"
                className="jp-DLDatasets-brokenImage"
              />
            ) : (
              <img
                src={model.thumbnailURL(image)}
                loading="lazy"
                alt=""
                onError={() =>
                  setFailed(previous => new Set(previous).add(image.path))
                }
              />
            )}
          </div>
          <div className="jp-DLDatasets-gridCaption">{image.name}</div>
        </div>
      );
    }
  }

  return (
    <div
      ref={scroller}
      className="jp-DLDatasets-grid"
      role="listbox"
      tabIndex={0}
      aria-label={trans.__('Images; Enter opens one')}
      aria-activedescendant={
        active >= 0 && images[active]
          ? `jp-DLDatasets-image-${active}`
          : undefined
      }
      data-testid="dl-image-grid"
      onScroll={event => setScrollTop(event.currentTarget.scrollTop)}
      onKeyDown={onKeyDown}
    >
      <div
        className="jp-DLDatasets-gridBody"
        style={{ height: rowCount * ROW_HEIGHT + GAP }}
      >
        {cells}
      </div>
      {folder.isLoading && (
        <div className="jp-DLDatasets-gridLoading">
          <Spinner label={trans.__('Loading images')} />
        </div>
      )}
    </div>
  );
}
