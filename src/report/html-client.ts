// The page script of the HTML report, as text: it draws the charts of the embedded chart
// model with uPlot. Plain ES5-style JavaScript (no build step, no DOM types in this project);
// all numbers are computed in Node (html-data.ts), this only draws them.

export const REPORT_SCRIPT = String.raw`
(function () {
  'use strict';
  var model = JSON.parse(document.getElementById('connload-charts').textContent);
  var all = model.percentiles.concat(model.timeSeries, model.requestsPerConnection ? [model.requestsPerConnection] : [], model.capacity ? [model.capacity] : []);
  var drawn = [];
  // For tests and for poking at the data from the console.
  window.connloadCharts = drawn;

  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function seriesColor(index) { return index < 0 ? cssVar('--limit') : cssVar('--c' + (index % 8)); }

  function fmtNumber(v) {
    if (v == null || !isFinite(v)) return '\u2013';
    if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
    return v === 0 ? '0' : String(Number(v.toPrecision(3)));
  }

  // x of a percentile chart is 1/(1-p): 1 -> 0%, 10 -> 90%, 100 -> 99%, 1000 -> 99.9% ...
  function percentLabel(x, precise) {
    if (x <= 1) return '0%';
    var p = 100 * (1 - 1 / x);
    var decimals = precise ? Math.max(1, Math.ceil(Math.log10(x)) - 1) : Math.max(0, Math.round(Math.log10(x)) - 2);
    return p.toFixed(Math.min(decimals, 6)) + '%';
  }

  function axis(label, extra) {
    var base = {
      label: label, stroke: cssVar('--axis'), labelSize: 18, size: 56,
      grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 },
      values: function (u, splits) { return splits.map(fmtNumber); }
    };
    for (var key in extra) base[key] = extra[key];
    return base;
  }

  function fromZero(u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; }

  function lineSeries(s) {
    return {
      label: s.label, stroke: seriesColor(s.color), width: s.color < 0 ? 1.5 : 2,
      dash: s.dash ? [7, 5] : undefined, scale: s.axis || 'y', spanGaps: true,
      points: s.color < 0 ? { show: false } : { fill: cssVar('--panel') },
      value: function (u, v) { return fmtNumber(v); }
    };
  }

  function percentileOptions(chart) {
    // The axis ends at the next power of ten, so the last tick (99.9%, 99.99%...) is labelled.
    var maxX = Math.pow(10, Math.ceil(Math.log10(Math.max.apply(null, chart.x.concat([10]))) - 1e-9));
    return {
      scales: { x: { time: false, distr: 3, log: 10, range: function () { return [1, maxX]; } }, y: { range: fromZero } },
      axes: [
        axis('percentile', {
          size: 44,
          splits: function () { var s = []; for (var x = 1; x <= maxX * 1.0001; x *= 10) s.push(x); return s; },
          values: function (u, splits) { return splits.map(function (x) { return percentLabel(x, false); }); }
        }),
        axis('milliseconds')
      ],
      series: [{ label: 'percentile', value: function (u, v) { return v == null ? '\u2013' : percentLabel(v, true); } }]
        .concat(chart.series.map(function (s) {
          var line = lineSeries(s);
          line.value = function (u, v) { return v == null ? '\u2013' : fmtNumber(v) + ' ms'; };
          return line;
        }))
    };
  }

  function timeOptions(chart) {
    var hasY2 = chart.series.some(function (s) { return s.axis === 'y2'; });
    var axes = [axis('seconds', { size: 44 }), axis(chart.yLabel)];
    if (hasY2) axes.push(axis(chart.y2Label || '', { scale: 'y2', side: 1, grid: { show: false } }));
    var scales = { x: { time: false }, y: { range: fromZero } };
    if (hasY2) scales.y2 = { range: fromZero };
    return {
      scales: scales,
      axes: axes,
      series: [{ label: 'time', value: function (u, v) { return v == null ? '\u2013' : fmtNumber(v) + ' s'; } }].concat(chart.series.map(lineSeries))
    };
  }

  function barsOptions(chart) {
    var groupWidth = 0.8, count = chart.series.length, barWidth = groupWidth / count;
    var bars = uPlot.paths.bars({
      disp: {
        x0: { unit: 1, values: function (u, si) { return u.data[0].map(function (x) { return x - groupWidth / 2 + (si - 1) * barWidth; }); } },
        size: { unit: 1, values: function (u) { return u.data[0].map(function () { return barWidth; }); } }
      }
    });
    return {
      scales: { x: { time: false, range: function () { return [-0.5, chart.x.length - 0.5]; } }, y: { range: fromZero } },
      axes: [
        axis('requests served on the connection', {
          size: 44,
          splits: function () { return chart.x; },
          values: function (u, splits) { return splits.map(function (i) { return chart.xLabels[i] || ''; }); }
        }),
        axis(chart.yLabel)
      ],
      cursor: { points: { show: false } },
      series: [{ label: 'requests', value: function (u, i) { return i == null ? '\u2013' : chart.xLabels[i]; } }]
        .concat(chart.series.map(function (s) {
          var c = seriesColor(s.color);
          return { label: s.label, stroke: c, fill: c + 'b3', width: 1, paths: bars, points: { show: false }, value: function (u, v) { return v == null ? '\u2013' : fmtNumber(v) + '%'; } };
        }))
    };
  }

  function capacityOptions(chart) {
    return {
      scales: { x: { time: false }, y: { range: fromZero }, y2: { range: fromZero } },
      axes: [axis(chart.xLabel, { size: 44 }), axis(chart.yLabel), axis(chart.y2Label, { scale: 'y2', side: 1, grid: { show: false } })],
      series: [{ label: chart.xLabel, value: function (u, v) { return v == null ? '\u2013' : fmtNumber(v) + ' ' + chart.xLabel; } }].concat(chart.series.map(lineSeries))
    };
  }

  var builders = { percentile: percentileOptions, time: timeOptions, bars: barsOptions, capacity: capacityOptions };

  function plotWidth(el) { return Math.max(280, Math.floor(el.clientWidth)); }

  function drawAll() {
    drawn.forEach(function (d) { d.plot.destroy(); });
    drawn.length = 0;
    all.forEach(function (chart) {
      var el = document.querySelector('.plot[data-chart="' + chart.id + '"]');
      if (!el) return;
      var options = builders[chart.kind](chart);
      options.width = plotWidth(el);
      options.height = chart.kind === 'bars' ? 240 : 280;
      options.legend = { live: true };
      var data = [chart.x].concat(chart.series.map(function (s) { return s.values; }));
      drawn.push({ id: chart.id, kind: chart.kind, el: el, plot: new uPlot(options, data, el) });
    });
  }

  function resizeAll() {
    drawn.forEach(function (d) { d.plot.setSize({ width: plotWidth(d.el), height: d.plot.height }); });
  }

  drawAll();
  // Colours come from CSS variables: redraw when the colour scheme or print media changes them.
  var redraw = function () { drawAll(); };
  [matchMedia('(prefers-color-scheme: dark)'), matchMedia('print')].forEach(function (query) {
    if (query.addEventListener) query.addEventListener('change', redraw); else query.addListener(redraw);
  });
  window.addEventListener('beforeprint', redraw);
  window.addEventListener('afterprint', redraw);
  var resizeTimer = null;
  window.addEventListener('resize', function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(resizeAll, 100); });
})();
`;
