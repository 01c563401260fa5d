/**
 * A uPlot canvas as a React component: created once per set of options,
 * fed new data in place (keeping a zoom the user chose), sized to its
 * container and redrawn in the colours of the current theme.
 */
import * as React from 'react';
import uPlot from 'uplot';

import { chartTheme, IChartTheme, ThemeContext } from './theme';

/**
 * uPlot options without the size, which the plot takes from its container.
 */
export type PlotOptions = Omit<uPlot.Options, 'width' | 'height'>;

export interface IPlotProps {
  /**
   * The uPlot options except the size, for the current theme.
   */
  options: (theme: IChartTheme) => PlotOptions;
  /**
   * A new value rebuilds the plot (other series, other axes); data alone
   * changing only updates it.
   */
  optionsKey: string;
  data: uPlot.AlignedData;
  /**
   * The height of the plot area in pixels.
   */
  height: number;
  /**
   * Called with the plot's width in pixels whenever it changes.
   */
  onWidth?: (width: number) => void;
  /**
   * What the chart shows, for screen readers.
   */
  label: string;
  testId?: string;
}

export function Plot(props: IPlotProps): JSX.Element {
  const { data, height, label, onWidth, options, optionsKey, testId } = props;
  const container = React.useRef<HTMLDivElement>(null);
  const plot = React.useRef<uPlot | null>(null);
  const zoomed = React.useRef(false);
  const latest = React.useRef({ data, onWidth, options });
  latest.current = { data, onWidth, options };
  const themeVersion = React.useContext(ThemeContext);

  // Build the plot when its options or the theme change.
  React.useEffect(() => {
    const node = container.current;
    if (!node) {
      return;
    }
    const width = Math.max(node.clientWidth, 1);
    const built = latest.current.options(chartTheme(node));
    zoomed.current = false;
    const instance = new uPlot(
      {
        ...built,
        width,
        height,
        hooks: {
          ...built.hooks,
          setSelect: [
            ...(built.hooks?.setSelect ?? []),
            u => {
              zoomed.current = u.select.width > 0;
            }
          ]
        }
      },
      latest.current.data,
      node
    );
    instance.root.addEventListener('dblclick', () => {
      zoomed.current = false;
    });
    plot.current = instance;
    latest.current.onWidth?.(width);
    return () => {
      instance.destroy();
      plot.current = null;
    };
  }, [optionsKey, height, themeVersion]);

  // New data for the same plot.
  React.useEffect(() => {
    const instance = plot.current;
    if (instance && instance.data !== data) {
      instance.setData(data, !zoomed.current);
      if (zoomed.current) {
        instance.redraw(false);
      }
    }
  }, [data]);

  // Follow the container's width.
  React.useEffect(() => {
    const node = container.current;
    if (!node) {
      return;
    }
    let last = node.clientWidth;
    const observer = new ResizeObserver(() => {
      const width = node.clientWidth;
      if (width === last || width === 0) {
        return;
      }
      last = width;
      plot.current?.setSize({ width, height });
      latest.current.onWidth?.(width);
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [height]);

  return (
    <div
      className="jp-DLChart-plot"
      ref={container}
      role="figure"
      aria-label={label}
      data-testid={testId}
    />
  );
}
