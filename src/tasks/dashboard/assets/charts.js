// Small SVG charts drawn with the DOM (no library, no inline script: the page's CSP allows none).

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, children = []) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child);
  return node;
}

function titled(node, text) {
  node.append(svg('title', {}, [text]));
  return node;
}

/**
 * Stacked bars over time: one bar per point, one colour per series.
 * @param points [{ at, <series>: number }]
 * @param series [{ key, label, className }]
 */
export function stackedBars(points, series, { width = 640, height = 160 } = {}) {
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height + 20}`, class: 'chart', role: 'img' });
  if (points.length === 0) {
    chart.append(svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'empty' }, ['Nothing finished in this window']));
    return chart;
  }
  const totals = points.map((point) => series.reduce((sum, { key }) => sum + point[key], 0));
  const max = Math.max(1, ...totals);
  const slot = width / points.length;
  points.forEach((point, index) => {
    let top = height;
    for (const { key, label, className } of series) {
      const barHeight = (point[key] / max) * (height - 10);
      if (barHeight <= 0) continue;
      top -= barHeight;
      const bar = svg('rect', { x: index * slot + 1, y: top, width: Math.max(1, slot - 2), height: barHeight, class: className });
      chart.append(titled(bar, `${new Date(point.at).toLocaleString()}: ${point[key]} ${label}`));
    }
  });
  chart.append(svg('text', { x: 0, y: height + 16, class: 'axis' }, [shortTime(points[0].at)]));
  chart.append(svg('text', { x: width, y: height + 16, 'text-anchor': 'end', class: 'axis' }, [shortTime(points.at(-1).at)]));
  chart.append(svg('text', { x: 0, y: 10, class: 'axis' }, [`max ${max}`]));
  return chart;
}

/** Horizontal bars of p50 / p95 / p99 durations per task name. */
export function durationBars(rows, { width = 640 } = {}) {
  const timed = rows.filter((row) => row.duration_ms);
  const rowHeight = 22;
  const labelWidth = 220;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${Math.max(1, timed.length) * rowHeight * 3 + 10}`, class: 'chart', role: 'img' });
  if (timed.length === 0) {
    chart.setAttribute('viewBox', `0 0 ${width} 40`);
    chart.append(svg('text', { x: width / 2, y: 24, 'text-anchor': 'middle', class: 'empty' }, ['No timed task in this window']));
    return chart;
  }
  const max = Math.max(1, ...timed.map((row) => row.duration_ms.p99));
  timed.forEach((row, index) => {
    const y = index * rowHeight * 3 + 4;
    chart.append(svg('text', { x: 0, y: y + 14, class: 'label' }, [row.task_name]));
    ['p50', 'p95', 'p99'].forEach((key, offset) => {
      const value = row.duration_ms[key];
      const barWidth = (value / max) * (width - labelWidth - 90);
      const bar = svg('rect', { x: labelWidth, y: y + offset * rowHeight * 0.9, width: Math.max(1, barWidth), height: rowHeight * 0.7, class: `bar-${key}` });
      chart.append(titled(bar, `${row.task_name} ${key}: ${value} ms`));
      chart.append(svg('text', { x: labelWidth + barWidth + 6, y: y + offset * rowHeight * 0.9 + 12, class: 'axis' }, [`${key} ${formatMs(value)}`]));
    });
  });
  return chart;
}

export function formatMs(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

function shortTime(at) {
  return new Date(at).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
