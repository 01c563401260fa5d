/**
 * Canvas charts cannot use CSS variables, so they read the theme's colours
 * from the page when they draw, and draw again when the theme changes (the
 * panel bumps `ThemeContext` on every change of JupyterLab's theme).
 */
import * as React from 'react';

/**
 * A number that changes whenever JupyterLab's theme changed.
 */
export const ThemeContext = React.createContext(0);

/**
 * How many series colours the panel's style sheet defines
 * (`--jp-dl-series-color0` ... `7`), all taken from the theme.
 */
export const SERIES_COLORS = 8;

/**
 * The CSS colour of the `index`-th series, for SVG and HTML.
 */
export function seriesColorVar(index: number): string {
  return `var(--jp-dl-series-color${index % SERIES_COLORS})`;
}

/**
 * The colours and font a chart draws with, resolved from the theme.
 */
export interface IChartTheme {
  text: string;
  grid: string;
  axis: string;
  font: string;
  /**
   * The plot area's background, for the ring around scatter points.
   */
  background: string;
  series: string[];
}

/**
 * The chart theme as styled at `node` (inside the panel).
 */
export function chartTheme(node: Element): IChartTheme {
  const style = window.getComputedStyle(node);
  const value = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;
  const text = value('--jp-ui-font-color2', style.color);
  const series: string[] = [];
  for (let i = 0; i < SERIES_COLORS; i++) {
    series.push(value(`--jp-dl-series-color${i}`, text));
  }
  return {
    text,
    grid: value('--jp-border-color2', text),
    axis: value('--jp-border-color1', text),
    background: value('--jp-layout-color0', style.backgroundColor),
    font: `${fontSize(value('--jp-ui-font-size0', '11px'), style)}px ${value(
      '--jp-ui-font-family',
      'sans-serif'
    )}`,
    series
  };
}

/**
 * A CSS font size in pixels: uPlot scales its fonts by the pixel ratio and
 * reads the number in front of `px`, so `em` sizes must be resolved first.
 */
function fontSize(size: string, style: CSSStyleDeclaration): number {
  const number = parseFloat(size);
  if (Number.isNaN(number)) {
    return 11;
  }
  if (size.endsWith('rem')) {
    return Math.round(
      number * parseFloat(getComputedStyle(document.documentElement).fontSize)
    );
  }
  if (size.endsWith('em')) {
    return Math.round(number * parseFloat(style.fontSize));
  }
  return Math.round(number);
}
