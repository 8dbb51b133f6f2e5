/**
 * @module admin/console/pages/overview
 * `GET /admin`: the conversion chart (per day and channel: sessions started → possession proven →
 * succeeded) and the delivery chart (per provider: messages sent, delivered, failed), drawn in the
 * browser by uPlot from JSON blocks, each followed by a table with the same numbers.
 */
import { escapeHtml } from '../../../http/routes/html.js';
import { table } from '../layout.js';

/** One day of one channel's funnel. */
export interface ConversionDay {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  channel: string;
  started: number;
  proven: number;
  succeeded: number;
}

/** One provider's message outcomes. */
export interface DeliveryRow {
  provider: string;
  sent: number;
  delivered: number;
  failed: number;
}

/** What charts.js reads from a `<script type="application/json" data-chart>` block. */
interface ChartSpec {
  target: string;
  title: string;
  categoryLabel: string;
  valueLabel: string;
  categories: string[];
  series: Array<{ label: string; color: string; values: number[] }>;
}

const FUNNEL = [
  { key: 'started', label: 'Started', color: '#6b7280' },
  { key: 'proven', label: 'Possession proven', color: '#1a4fb0' },
  { key: 'succeeded', label: 'Succeeded', color: '#047857' },
] as const;

const DELIVERY = [
  { key: 'sent', label: 'Sent', color: '#1a4fb0' },
  { key: 'delivered', label: 'Delivered', color: '#047857' },
  { key: 'failed', label: 'Failed', color: '#b91c1c' },
] as const;

/**
 * JSON inside `<script type="application/json">`: `<` is escaped so no string can close the
 * element (`</script>`) or open a comment; the browser's JSON.parse reads `\u003c` back as `<`.
 */
export function jsonBlock(value: unknown, attributes: string): string {
  const json = JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return `<script type="application/json" ${attributes}>${json}</script>`;
}

function chartFigure(spec: ChartSpec, caption: string, tableHtml: string): string {
  return (
    `<figure class="chart-figure"><figcaption><h3>${escapeHtml(spec.title)}</h3></figcaption>` +
    // The canvas is for eyes; the table below has the same numbers for everyone.
    `<div class="chart" id="${escapeHtml(spec.target)}" aria-hidden="true"></div>` +
    jsonBlock(spec, 'data-chart') +
    `${tableHtml}<p class="muted">${escapeHtml(caption)}</p></figure>`
  );
}

/** The days `from`..`to` (inclusive, `YYYY-MM-DD`), so days without sessions still show. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** One figure per channel: a chart and its table. */
export function conversionSection(rows: ConversionDay[], days: string[]): string {
  const channels = [...new Set(rows.map((r) => r.channel))].sort();
  if (channels.length === 0) return '<p class="empty">No sessions in these days yet.</p>';
  return (
    channels
      .map((channel) => {
        const byDay = new Map(rows.filter((r) => r.channel === channel).map((r) => [r.day, r]));
        const spec: ChartSpec = {
          target: `conversion-${channel.replace(/[^a-z0-9]/gi, '-')}`,
          title: `Conversion: ${channel}`,
          categoryLabel: 'Day',
          valueLabel: 'Sessions',
          categories: days,
          series: FUNNEL.map((f) => ({ label: f.label, color: f.color, values: days.map((d) => byDay.get(d)?.[f.key] ?? 0) })),
        };
        const tableRows = days
          .filter((d) => byDay.has(d))
          .map((d) => {
            const r = byDay.get(d)!;
            const rate = r.started > 0 ? `${Math.round((100 * r.succeeded) / r.started)} %` : '';
            return [escapeHtml(d), String(r.started), String(r.proven), String(r.succeeded), rate];
          });
        const tableHtml = table(`Conversion per day: ${channel}`, ['Day', 'Started', 'Possession proven', 'Succeeded', 'Success rate'], tableRows);
        return chartFigure(spec, 'Sessions started on each day (UTC), and how many of them proved possession and succeeded.', tableHtml);
      })
      .join('')
  );
}

/** The delivery chart: one group of bars per provider. */
export function deliverySection(rows: DeliveryRow[]): string {
  if (rows.length === 0) return '<p class="empty">No messages in these days yet.</p>';
  const spec: ChartSpec = {
    target: 'delivery',
    title: 'Delivery per provider',
    categoryLabel: 'Provider',
    valueLabel: 'Messages',
    categories: rows.map((r) => r.provider),
    series: DELIVERY.map((d) => ({ label: d.label, color: d.color, values: rows.map((r) => r[d.key]) })),
  };
  const tableHtml = table(
    'Delivery per provider',
    ['Provider', 'Sent', 'Delivered', 'Failed'],
    rows.map((r) => [escapeHtml(r.provider), String(r.sent), String(r.delivered), String(r.failed)]),
  );
  return chartFigure(spec, 'Messages handed to each provider, and what the provider reported back.', tableHtml);
}
