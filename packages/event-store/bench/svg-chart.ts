// A static SVG of line charts side by side, for the performance guide. A plotting library (vega,
// chart.js) would need a DOM or a canvas in Node for a few dozen points; this is the whole need.

/** One line of a panel, a y for each of the panel's x. */
export interface Series {
  name: string;
  color: string;
  ys: number[];
}

/** One chart: x on a log scale (the work doubles along it), y linear from zero. */
export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  xs: number[];
  series: Series[];
}

const WIDTH = 420;
const HEIGHT = 300;
const MARGIN = { top: 36, right: 16, bottom: 48, left: 64 };

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const round = (value: number) => Math.round(value * 10) / 10;

/** A step for about five y ticks: 1, 2 or 5 times a power of ten. */
function tickStep(max: number): number {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough)!;
}

function panelSvg(panel: Panel, offsetX: number): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const [minX, maxX] = [Math.log(panel.xs[0]!), Math.log(panel.xs.at(-1)!)];
  const step = tickStep(Math.max(...panel.series.flatMap((s) => s.ys)));
  const maxY = step * Math.ceil(Math.max(...panel.series.flatMap((s) => s.ys)) / step);
  const x = (value: number) => round(MARGIN.left + ((Math.log(value) - minX) / (maxX - minX)) * plotW);
  const y = (value: number) => round(MARGIN.top + plotH - (value / maxY) * plotH);
  const parts: string[] = [`<g transform="translate(${offsetX},0)">`];
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="20" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`,
  );
  for (let tick = 0; tick <= maxY; tick += step) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e7eb"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end">${tick.toLocaleString('en')}</text>`,
    );
  }
  for (const value of panel.xs) {
    parts.push(`<text x="${x(value)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${value}</text>`);
  }
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeXml(panel.xLabel)}</text>`,
    `<text transform="translate(14,${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`,
  );
  panel.series.forEach((series, index) => {
    const points = series.ys.map((value, i) => `${x(panel.xs[i]!)},${y(value)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
    for (const [i, value] of series.ys.entries()) {
      parts.push(`<circle cx="${x(panel.xs[i]!)}" cy="${y(value)}" r="3" fill="${series.color}"/>`);
    }
    const legendY = MARGIN.top + 8 + index * 16;
    parts.push(
      `<line x1="${MARGIN.left + 8}" x2="${MARGIN.left + 24}" y1="${legendY}" y2="${legendY}" stroke="${series.color}" stroke-width="2"/>`,
      `<text x="${MARGIN.left + 28}" y="${legendY + 4}">${escapeXml(series.name)}</text>`,
    );
  });
  parts.push('</g>');
  return parts.join('\n');
}

/** The panels in a row, as one SVG document. */
export function lineChartsSvg(panels: Panel[], caption: string): string {
  const width = WIDTH * panels.length;
  const height = HEIGHT + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(panels.map((panel) => panel.title).join('; '))}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...panels.map((panel, index) => panelSvg(panel, index * WIDTH)),
    `<text x="${width / 2}" y="${height - 4}" text-anchor="middle" fill="#6b7280">${escapeXml(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
