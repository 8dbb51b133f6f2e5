/**
 * @module soak/chart
 * The soak's chart: one panel per measure against elapsed minutes, drawn as an SVG by hand and
 * turned into a PNG by headless Chromium (the one the browser tests use).
 */
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../../e2e/support/chromium.js';

export interface Series {
  label: string;
  color: string;
  values: number[];
}

export interface Panel {
  title: string;
  unit: string;
  series: Series[];
  /** Start the axis at the data's minimum instead of zero (to show small drifts). */
  tight?: boolean;
  /** An optional straight line (the RSS trend over the second half), from (x0, y0) to (x1, y1) in data units. */
  trend?: { x0: number; y0: number; x1: number; y1: number; label: string };
}

const WIDTH = 1000;
const PANEL_HEIGHT = 190;
const LEFT = 70;
const RIGHT = 40;
const TOP = 78;
const GAP = 36;

/** A round step (1, 2, 2.5 or 5 times a power of ten) at least `raw`. */
function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const step of [1, 2, 2.5, 5]) if (step * magnitude >= raw) return step * magnitude;
  return 10 * magnitude;
}

/** An axis over [min, max] in about `count` round steps. */
function axis(min: number, max: number, count: number): { lo: number; hi: number; step: number } {
  const step = niceStep(max > min ? (max - min) / count : Math.max(1, Math.abs(max)) / count);
  const lo = Math.floor(min / step) * step;
  const hi = Math.max(lo + step, Math.ceil(max / step) * step);
  return { lo, hi, step };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** `value` with as many decimals as the axis step needs (2.5 → 1, 0.25 → 2). */
function format(value: number, step: number): string {
  let decimals = 0;
  while (decimals < 3 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-9) decimals++;
  return value.toFixed(decimals);
}

/** The chart as an SVG document. `minutes[i]` is the x of every series' i-th value. */
export function renderSvg(title: string, subtitle: string[], minutes: number[], panels: Panel[]): string {
  const height = TOP + panels.length * (PANEL_HEIGHT + GAP) + 20;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const xAxis = axis(0, Math.max(...minutes, 0.1), 6);
  const x = (m: number): number => LEFT + (m / xAxis.hi) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="24" font-size="17" font-weight="bold">${escapeXml(title)}</text>`,
    ...subtitle.map((line, i) => `<text x="${LEFT}" y="${44 + i * 16}" fill="#444">${escapeXml(line)}</text>`),
  ];
  panels.forEach((panel, index) => {
    const top = TOP + index * (PANEL_HEIGHT + GAP) + 18;
    const plotHeight = PANEL_HEIGHT - 18;
    const all = panel.series.flatMap((s) => s.values).filter(Number.isFinite);
    if (panel.trend) all.push(panel.trend.y0, panel.trend.y1);
    const dataMin = Math.min(...all);
    const dataMax = Math.max(...all);
    const yAxis = panel.tight ? axis(dataMin - (dataMax - dataMin) * 0.2 - 1, dataMax + (dataMax - dataMin) * 0.2 + 1, 4) : axis(0, dataMax * 1.05, 4);
    const y = (v: number): number => top + plotHeight - ((v - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plotHeight;
    const note = panel.tight ? ', axis not from zero' : '';
    parts.push(`<text x="${LEFT}" y="${top - 6}" font-weight="bold">${escapeXml(panel.title)} (${escapeXml(panel.unit + note)})</text>`);
    for (let v = yAxis.lo; v <= yAxis.hi + yAxis.step / 1000; v += yAxis.step) {
      parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#e4e4e4"/>`);
      parts.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${format(v, yAxis.step)}</text>`);
    }
    for (let m = 0; m <= xAxis.hi + xAxis.step / 1000; m += xAxis.step) {
      parts.push(`<line x1="${x(m)}" x2="${x(m)}" y1="${top}" y2="${top + plotHeight}" stroke="#f0f0f0"/>`);
      parts.push(`<text x="${x(m)}" y="${top + plotHeight + 14}" text-anchor="middle" fill="#555">${format(m, xAxis.step)} min</text>`);
    }
    parts.push(`<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`);
    let legendX = WIDTH - RIGHT;
    for (const series of [...panel.series].reverse()) {
      const points = series.values
        .map((v, i) => (Number.isFinite(v) ? `${x(minutes[i]!).toFixed(1)},${y(v).toFixed(1)}` : null))
        .filter((p): p is string => p !== null);
      parts.push(`<polyline fill="none" stroke="${series.color}" stroke-width="1.6" points="${points.join(' ')}"/>`);
      legendX -= 8 + series.label.length * 7;
      parts.push(`<text x="${legendX}" y="${top - 6}" fill="${series.color}">${escapeXml(series.label)}</text>`);
    }
    if (panel.trend) {
      const t = panel.trend;
      parts.push(`<line x1="${x(t.x0)}" y1="${y(t.y0)}" x2="${x(t.x1)}" y2="${y(t.y1)}" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4"/>`);
      parts.push(`<text x="${x(t.x0)}" y="${y(Math.max(t.y0, t.y1)) - 8}" fill="#d62728">${escapeXml(t.label)}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Renders the SVG to a PNG file with headless Chromium. */
export async function svgToPng(svg: string, pngPath: string): Promise<void> {
  const size = /width="(\d+)" height="(\d+)"/.exec(svg);
  const browser = await chromium.launch(chromiumLaunchOptions(60_000));
  try {
    const page = await browser.newPage({ viewport: { width: Number(size?.[1] ?? WIDTH), height: Number(size?.[2] ?? 800) } });
    await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`);
    await page.locator('svg').screenshot({ path: pngPath });
  } finally {
    await browser.close();
  }
}
