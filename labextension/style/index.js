import 'uplot/dist/uPlot.min.css';
import './base.css';
import './experiments.css';
import './datasets.css';
