/**
 * The preview pane: a look inside the selected file, made by the server
 * and bounded there: an image's thumbnail and facts, a table's columns and
 * first rows, the start of a text or JSON file, a NumPy array's shape,
 * dtype and corner, the first bytes of anything else. A file the server
 * cannot read as its kind shows the server's reason. A folder shows as a
 * grid of thumbnails when most of its files are images, else as a summary.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretLeftIcon,
  downloadIcon,
  folderIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatBytes } from '../../shared/format';
import { JSONValue } from '../../experiments/tokens';
import { entryIcon } from '../icons';
import { PreviewModel } from '../previewModel';
import {
  IArrayPreview,
  IBinaryPreview,
  IDatasetEntry,
  IImagePreview,
  ITablePreview,
  ITextPreview
} from '../tokens';
import { Empty, ErrorBanner, Loading } from '../../shared/feedback';
import { ImageGrid } from './ImageGrid';

/**
 * Images narrower than this are shown enlarged, in pixels.
 */
const MIN_IMAGE_WIDTH = 256;

export interface IPreviewPaneProps {
  model: PreviewModel;
  trans: TranslationBundle;
}

export function PreviewPane(props: IPreviewPaneProps): JSX.Element {
  const { model } = props;
  const target = model.target;
  return (
    <section
      className="jp-DLDatasets-preview"
      aria-label={props.trans.__('Preview')}
      data-testid="dl-dataset-preview"
      data-kind={
        target.kind === 'file' ? (model.preview?.kind ?? '') : 'folder'
      }
      data-path={target.kind === 'file' ? target.entry.path : target.path}
    >
      {target.kind === 'file' ? (
        <FilePreview {...props} entry={target.entry} />
      ) : (
        <FolderPreview {...props} />
      )}
    </section>
  );
}

function FilePreview(
  props: IPreviewPaneProps & { entry: IDatasetEntry }
): JSX.Element {
  const { model, trans, entry } = props;
  const preview = model.preview;
  const Icon = entryIcon(entry);
  let body: React.ReactNode;
  if (model.error) {
    body = (
      <ErrorBanner
        error={model.error}
        title={trans.__('Could not preview %1.', entry.name)}
        trans={trans}
        onRetry={
          // A file that cannot be read as its kind stays so; a lost
          // connection or a busy server may not.
          model.error.status === 422 || model.error.status === 400
            ? undefined
            : () => void model.refresh()
        }
      />
    );
  } else if (preview === null) {
    body = <Loading text={trans.__('Loading the preview…')} />;
  } else if (preview.kind === 'image') {
    body = <ImagePreview preview={preview} trans={trans} />;
  } else if (preview.kind === 'table') {
    body = <TablePreview preview={preview} trans={trans} />;
  } else if (preview.kind === 'text') {
    body = <TextPreview preview={preview} trans={trans} />;
  } else if (preview.kind === 'array') {
    body = <ArrayPreview preview={preview} trans={trans} />;
  } else {
    body = <BinaryPreview preview={preview} trans={trans} />;
  }
  return (
    <>
      <header className="jp-DLDatasets-previewHeader">
        {model.canGoBack && (
          <button
            type="button"
            className="jp-DLPanel-button"
            onClick={() => model.back()}
            title={trans.__('Back to the images of the folder')}
            data-testid="dl-preview-back"
          >
            <caretLeftIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
            <span>{trans.__('Images')}</span>
          </button>
        )}
        <Icon.react tag="span" className="jp-DLDatasets-previewIcon" />
        <div className="jp-DLDatasets-previewTitle">
          <h3 className="jp-DLDatasets-previewName" title={entry.path}>
            {entry.name}
          </h3>
          <div className="jp-DLDatasets-previewFacts">
            {formatBytes(entry.size)}
            {preview && ` · ${preview.mime_type}`}
          </div>
        </div>
        <a
          className="jp-DLPanel-button"
          href={model.rawURL(entry)}
          download={entry.name}
          title={trans.__(
            'Download %1 of version %2',
            entry.name,
            model.version
          )}
          data-testid="dl-preview-download"
        >
          <downloadIcon.react tag="span" className="jp-DLPanel-buttonIcon" />
          <span>{trans.__('Download')}</span>
        </a>
      </header>
      <div className="jp-DLDatasets-previewBody">{body}</div>
    </>
  );
}

function ImagePreview(props: {
  preview: IImagePreview;
  trans: TranslationBundle;
}): JSX.Element {
  const { preview, trans } = props;
  const { thumbnail } = preview;
  // Small images (28×28 digits, 64×64 icons) are enlarged by a whole factor
  // with their pixels kept sharp; larger ones fit the pane.
  const scale =
    thumbnail.width < MIN_IMAGE_WIDTH
      ? Math.min(8, Math.floor(MIN_IMAGE_WIDTH / Math.max(1, thumbnail.width)))
      : 1;
  const facts: [string, string][] = [
    [trans.__('Dimensions'), `${preview.width} × ${preview.height}`],
    [trans.__('Format'), preview.format.toUpperCase()],
    [trans.__('Mode'), preview.mode]
  ];
  if (preview.frames > 1) {
    facts.push([trans.__('Frames'), String(preview.frames)]);
  }
  return (
    <div className="jp-DLDatasets-imagePreview">
      <div className="jp-DLDatasets-imageFrame">
        <img
          className={scale > 1 ? 'jp-mod-enlarged' : undefined}
          src={`data:${thumbnail.mime_type};base64,${thumbnail.data}`}
          width={thumbnail.width * scale}
          height={thumbnail.height * scale}
          alt={preview.path}
          data-testid="dl-preview-image"
        />
      </div>
      <Facts facts={facts} />
    </div>
  );
}

function TablePreview(props: {
  preview: ITablePreview;
  trans: TranslationBundle;
}): JSX.Element {
  const { preview, trans } = props;
  const numeric = preview.columns.map(column =>
    /^(integer|number|u?int\d*|float\d*|double|decimal)/.test(column.type)
  );
  let note: string;
  if (preview.total_rows === null) {
    note = trans.__(
      'The first %1 rows; the file goes on past the part read.',
      preview.rows.length
    );
  } else if (preview.rows.length < preview.total_rows) {
    note = trans.__(
      'The first %1 of %2 rows.',
      preview.rows.length,
      preview.total_rows.toLocaleString()
    );
  } else {
    note = trans._n('%1 row.', 'All %1 rows.', preview.rows.length);
  }
  return (
    <div className="jp-DLDatasets-tablePreview">
      <div className="jp-DLDatasets-tableScroller">
        <table className="jp-DLDatasets-table" data-testid="dl-preview-table">
          <thead>
            <tr>
              <th
                className="jp-DLDatasets-rowNumber"
                aria-label={trans.__('Row')}
              />
              {preview.columns.map((column, index) => (
                <th
                  key={index}
                  scope="col"
                  className={numeric[index] ? 'jp-mod-number' : undefined}
                >
                  <div className="jp-DLDatasets-columnName">{column.name}</div>
                  <div className="jp-DLDatasets-columnType">{column.type}</div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.rows.map((row, rowIndex) => (
              <tr key={rowIndex}>
                <th scope="row" className="jp-DLDatasets-rowNumber">
                  {rowIndex + 1}
                </th>
                {row.map((value, index) => (
                  <td
                    key={index}
                    className={numeric[index] ? 'jp-mod-number' : undefined}
                  >
                    {cellText(value)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="jp-DLDatasets-previewNote">
        {note}
        {preview.truncated &&
          preview.columns.length >= 100 &&
          ` ${trans.__('Only the first %1 columns are shown.', preview.columns.length)}`}
      </div>
    </div>
  );
}

function TextPreview(props: {
  preview: ITextPreview;
  trans: TranslationBundle;
}): JSX.Element {
  const { preview, trans } = props;
  let text = preview.text;
  if (preview.format === 'json' && !preview.truncated) {
    try {
      text = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // JSON lines, or not JSON after all: shown as it is.
    }
  }
  return (
    <div className="jp-DLDatasets-textPreview">
      <pre className="jp-DLDatasets-code" data-testid="dl-preview-text">
        {text}
      </pre>
      {preview.truncated && (
        <div className="jp-DLDatasets-previewNote">
          {trans.__(
            'The first %1 of %2; download the file for the rest.',
            formatBytes(new TextEncoder().encode(preview.text).length),
            formatBytes(preview.size)
          )}
        </div>
      )}
    </div>
  );
}

function ArrayPreview(props: {
  preview: IArrayPreview;
  trans: TranslationBundle;
}): JSX.Element {
  const { preview, trans } = props;
  const shape = `(${preview.shape.join(', ')}${preview.shape.length === 1 ? ',' : ''})`;
  const corner =
    preview.shape.length === 0
      ? 'a'
      : `a[${preview.shape
          .map((n, axis) => (axis < 2 ? `:${Math.min(n, 10)}` : '0'))
          .join(', ')}]`;
  const rows = arrayRows(preview.slice, preview.slice_shape.length);
  return (
    <div className="jp-DLDatasets-arrayPreview">
      <Facts
        facts={[
          [trans.__('Shape'), shape],
          [trans.__('Data type'), preview.dtype],
          [
            trans.__('Order'),
            preview.fortran_order
              ? trans.__('Fortran (column-major)')
              : trans.__('C (row-major)')
          ]
        ]}
      />
      <h4 className="jp-DLDatasets-subheading">{corner}</h4>
      <div className="jp-DLDatasets-tableScroller">
        <table
          className="jp-DLDatasets-table jp-mod-array"
          data-testid="dl-preview-array"
        >
          {rows.length > 0 && rows[0].length > 1 && (
            <thead>
              <tr>
                <th className="jp-DLDatasets-rowNumber" />
                {rows[0].map((_, index) => (
                  <th key={index} scope="col" className="jp-mod-number">
                    {index}
                  </th>
                ))}
              </tr>
            </thead>
          )}
          <tbody>
            {rows.map((row, rowIndex) => (
              <tr key={rowIndex}>
                <th scope="row" className="jp-DLDatasets-rowNumber">
                  {rowIndex}
                </th>
                {row.map((value, index) => (
                  <td key={index} className="jp-mod-number">
                    {cellText(value)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function BinaryPreview(props: {
  preview: IBinaryPreview;
  trans: TranslationBundle;
}): JSX.Element {
  const { preview, trans } = props;
  const lines: string[] = [];
  for (let offset = 0; offset < preview.head.length / 2; offset += 16) {
    const bytes = preview.head.slice(offset * 2, offset * 2 + 32);
    const hex = (bytes.match(/../g) ?? []).join(' ');
    const ascii = (bytes.match(/../g) ?? [])
      .map(pair => {
        const code = parseInt(pair, 16);
        return code >= 32 && code < 127 ? String.fromCharCode(code) : '.';
      })
      .join('');
    lines.push(
      `${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`
    );
  }
  return (
    <div className="jp-DLDatasets-textPreview">
      <p className="jp-DLDatasets-previewNote">
        {trans.__(
          'No preview for this kind of file; its first %1 bytes:',
          preview.head.length / 2
        )}
      </p>
      <pre className="jp-DLDatasets-code" data-testid="dl-preview-binary">
        {lines.join('\n')}
      </pre>
    </div>
  );
}

function FolderPreview(props: IPreviewPaneProps): JSX.Element | null {
  const { model, trans } = props;
  const folder = model.folder;
  const target = model.target;
  if (folder === null || target.kind !== 'folder') {
    return null;
  }
  const name = target.path
    ? target.path.slice(target.path.lastIndexOf('/') + 1)
    : model.dataset;
  let body: React.ReactNode;
  if (folder.error && !folder.isLoaded) {
    body = (
      <ErrorBanner
        error={folder.error}
        title={trans.__('Could not list %1.', name)}
        trans={trans}
      />
    );
  } else if (!folder.isLoaded) {
    body = <Loading text={trans.__('Loading %1…', name)} />;
  } else if (model.isImageFolder) {
    body = <ImageGrid model={model} folder={folder} trans={trans} />;
  } else {
    body = (
      <Empty testId="dl-preview-folder-hint">
        {trans.__('Select a file to preview it.')}
      </Empty>
    );
  }
  let facts = '';
  if (target.entry) {
    facts = trans.__(
      '%1 · %2',
      trans._n(
        '%2 file',
        '%2 files',
        target.entry.files,
        target.entry.files.toLocaleString()
      ),
      formatBytes(target.entry.size)
    );
  } else if (folder.isLoaded) {
    facts = trans._n(
      '%2 entry',
      '%2 entries',
      folder.size,
      folder.size.toLocaleString()
    );
  }
  if (model.isImageFolder) {
    facts += ` · ${trans._n('%1 image shown', '%1 images shown', model.images.length)}`;
  }
  return (
    <>
      <header className="jp-DLDatasets-previewHeader">
        <folderIcon.react tag="span" className="jp-DLDatasets-previewIcon" />
        <div className="jp-DLDatasets-previewTitle">
          <h3 className="jp-DLDatasets-previewName" title={target.path}>
            {name}
          </h3>
          <div className="jp-DLDatasets-previewFacts">{facts}</div>
        </div>
      </header>
      <div className="jp-DLDatasets-previewBody jp-mod-folder">{body}</div>
    </>
  );
}

function Facts(props: { facts: [string, string][] }): JSX.Element {
  return (
    <dl className="jp-DLDatasets-facts">
      {props.facts.map(([label, value]) => (
        <div className="jp-DLDatasets-fact" key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * A cell of a table or array as text: `null` as an empty cell, nested
 * values as JSON.
 */
function cellText(value: JSONValue): string {
  if (value === null) {
    return '';
  }
  if (typeof value === 'number' && !Number.isInteger(value)) {
    // Floats as NumPy prints them: enough digits to tell values apart.
    return String(Number(value.toPrecision(6)));
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * The rows of an array's corner: a scalar is one cell, a vector one row.
 * Axes past the second hold one item each (the server takes index 0 of
 * them), which the cells unwrap.
 */
function arrayRows(value: JSONValue, dims: number): JSONValue[][] {
  if (dims === 0 || !Array.isArray(value)) {
    return [[value]];
  }
  if (dims === 1) {
    return [value];
  }
  return value.map(row =>
    Array.isArray(row) ? row.map(firstItem) : [firstItem(row)]
  );
}

function firstItem(value: JSONValue): JSONValue {
  let item = value;
  while (Array.isArray(item) && item.length > 0) {
    item = item[0];
  }
  return item;
}
