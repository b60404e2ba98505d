// Bar charts with Chart.js 3.9.1 (Debian's libjs-chart.js, served from this binary). The bars'
// heights are integer minor units (exact as JavaScript numbers below 2^53, far above any grant),
// and every label is formatted from that integer, so no amount passes through a fraction.

import { h } from './dom.js';
import { amountMinor, formatMinor, parseAmount } from './format.js';

const COLOURS = ['#8fa9c8', '#2f6db5', '#d9822b', '#5b8c5a'];

// labels: the x axis; series: [{label, values: ["123.45 CNY" or a BigInt of minor units, ...]}].
export function barChart(labels, series, testId, currencyOfMinor = 'CNY') {
  const canvas = h('canvas', { 'data-test': testId, role: 'img' });
  const currency = parseAmount(series[0]?.values.find((v) => typeof v === 'string' && parseAmount(v)))?.currency ||
    currencyOfMinor;
  const holder = h('div', { class: 'chart' }, canvas);
  // Chart.js measures its canvas, so it is made once the page holding it is in the document (the
  // page is put in place after all its reads; a page abandoned for another is never drawn).
  let frames = 0;
  const draw = () => {
    if (!canvas.isConnected) {
      if (++frames < 600) requestAnimationFrame(draw);
      return;
    }
    if (!globalThis.Chart) return;
    new Chart(canvas, {
      type: 'bar',
      data: {
        labels,
        datasets: series.map((one, index) => ({
          label: one.label,
          data: one.values.map((value) => Number(typeof value === 'bigint' ? value : amountMinor(value) ?? 0n)),
          backgroundColor: COLOURS[index % COLOURS.length],
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { ticks: { callback: (value) => formatMinor(Math.round(value), currency).replace(/\.0+ /, ' ') } } },
        plugins: {
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${formatMinor(Math.round(item.raw), currency)}` } },
        },
      },
    });
  };
  requestAnimationFrame(draw);
  return holder;
}
