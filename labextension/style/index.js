import 'uplot/dist/uPlot.min.css';
import './base.css';
import './shared.css';
import './experiments.css';
import './datasets.css';
import './training.css';
import './models.css';
import './quota.css';
