/**
 * The Datasets panel's icon, and the icon of each kind of file it lists,
 * all themed through JupyterLab's `jp-icon*` classes.
 */
import {
  fileIcon,
  folderIcon,
  imageIcon,
  jsonIcon,
  LabIcon,
  markdownIcon,
  pythonIcon,
  spreadsheetIcon,
  tableRowsIcon,
  textEditorIcon,
  yamlIcon
} from '@jupyterlab/ui-components';

import datasetsSvg from '../../style/icons/datasets.svg';
import { IDatasetEntry } from './tokens';

export const datasetsIcon = new LabIcon({
  name: 'jupyter-dl:datasets',
  svgstr: datasetsSvg
});

const BY_EXTENSION: Record<string, LabIcon> = {
  png: imageIcon,
  jpg: imageIcon,
  jpeg: imageIcon,
  gif: imageIcon,
  bmp: imageIcon,
  webp: imageIcon,
  tif: imageIcon,
  tiff: imageIcon,
  ico: imageIcon,
  csv: spreadsheetIcon,
  tsv: spreadsheetIcon,
  parquet: tableRowsIcon,
  pq: tableRowsIcon,
  npy: tableRowsIcon,
  json: jsonIcon,
  jsonl: jsonIcon,
  ndjson: jsonIcon,
  geojson: jsonIcon,
  md: markdownIcon,
  py: pythonIcon,
  yaml: yamlIcon,
  yml: yamlIcon,
  txt: textEditorIcon,
  log: textEditorIcon
};

/**
 * The icon a file browser row shows for an entry.
 */
export function entryIcon(entry: IDatasetEntry): LabIcon {
  if (entry.type === 'directory') {
    return folderIcon;
  }
  const dot = entry.name.lastIndexOf('.');
  const extension = dot > 0 ? entry.name.slice(dot + 1).toLowerCase() : '';
  return BY_EXTENSION[extension] ?? fileIcon;
}
