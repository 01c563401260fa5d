/**
 * uPlot axes in the theme's colours, shared by every chart of the panels.
 */
import uPlot from 'uplot';

import { formatNumber } from '../format';
import { IChartTheme } from './theme';

/**
 * Width of a y axis whose longest label has `chars` characters.
 */
export function axisSize(values: string[] | null | undefined): number {
  const chars = Math.max(0, ...(values ?? []).map(value => value.length));
  return Math.max(32, chars * 7 + 16);
}

/**
 * Axes in the theme's colours, y labels in the panel's number format.
 */
export function themedAxes(
  theme: IChartTheme,
  formatY: (value: number) => string = formatNumber
): uPlot.Axis[] {
  const base: uPlot.Axis = {
    stroke: theme.text,
    font: theme.font,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 }
  };
  return [
    { ...base, size: 28 },
    {
      ...base,
      values: (u, splits) => splits.map(value => formatY(value)),
      size: (u, values) => axisSize(values)
    }
  ];
}
