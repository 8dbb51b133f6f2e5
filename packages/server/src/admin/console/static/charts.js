// Handset operator console: draws the charts of the overview page with uPlot (uPlot.iife.min.js,
// loaded before this file). The numbers come from <script type="application/json"> blocks that the
// server renders (the CSP allows no inline script); each block names the element to draw in.
// Every chart is a grouped bar chart over categories (days, or providers); the same numbers are in
// a table below each chart for screen readers and for reading exact values.
'use strict';

(function drawCharts() {
  const charts = {};
  // Exposed for tests and for the curious: the uPlot instance of each chart, by element id.
  window.consoleCharts = charts;

  /** Bars of series k of `count`, side by side within each category. */
  function groupedBars(k, count) {
    const width = 0.8 / count;
    return uPlot.paths.bars({
      disp: {
        x0: { unit: 1, values: (u) => u.data[0].map((x) => x - 0.4 + k * width) },
        size: { unit: 1, values: (u) => u.data[0].map(() => width) },
      },
    });
  }

  /** `2026-12-01` → `12-01`; other labels as they are. */
  function shortLabel(label) {
    return /^\d{4}-\d{2}-\d{2}$/.test(label) ? label.slice(5) : label;
  }

  function widthOf(element) {
    return Math.max(320, Math.min(element.clientWidth || 640, 960));
  }

  function draw(spec) {
    const target = document.getElementById(spec.target);
    if (!target) return;
    const labels = spec.categories;
    const x = labels.map((_, i) => i);
    const pad = Math.max(0, (3 - labels.length) / 2);
    const series = [{ label: spec.categoryLabel, value: (u, i) => (i == null ? '' : labels[i] ?? '') }];
    spec.series.forEach((s, k) => {
      series.push({
        label: s.label,
        stroke: s.color,
        fill: s.color,
        width: 0,
        paths: groupedBars(k, spec.series.length),
        points: { show: false },
      });
    });
    const options = {
      width: widthOf(target),
      height: 280,
      series,
      // Fewer than three categories are padded on both sides, so one provider's bars are not a wall.
      scales: {
        x: { time: false, range: [-0.5 - pad, labels.length - 0.5 + pad] },
        y: { range: (u, min, max) => [0, Math.max(1, max)] },
      },
      axes: [
        // One tick per category while they fit (about 56 px each), else every n-th; days show as MM-DD.
        {
          splits: (u) => {
            const step = Math.max(1, Math.ceil((labels.length * 56) / Math.max(1, u.width - 80)));
            return x.filter((i) => (labels.length - 1 - i) % step === 0);
          },
          values: (u, splits) => splits.map((i) => shortLabel(labels[i] ?? '')),
          grid: { show: false },
        },
        // Counts: whole-number ticks only.
        { label: spec.valueLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 1e6, 1e7] },
      ],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    };
    const chart = new uPlot(options, [x, ...spec.series.map((s) => s.values)], target);
    charts[spec.target] = chart;
    window.addEventListener('resize', () => chart.setSize({ width: widthOf(target), height: 280 }));
  }

  document.querySelectorAll('script[type="application/json"][data-chart]').forEach((block) => {
    try {
      draw(JSON.parse(block.textContent));
    } catch (error) {
      console.error('chart not drawn:', error);
    }
  });
})();
