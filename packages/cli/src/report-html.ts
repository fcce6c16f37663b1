import type { CompressionReport, CostTotals, LayerReport } from '@lowrank/compress';
import { escapeHtml } from './escape-html.js';

/** How the compression was asked for, shown at the top of the report. */
export interface ReportSettings {
  /** The input model (a path or a name). */
  model: string;
  /** Where the compressed model was written. */
  output?: string;
  decomposition: string;
  norm: string;
  /** The rank selector. */
  selector: string;
  /** The whole-model compression ratio asked for (params before / after). */
  ratio?: number;
  data?: string;
  calibrationImages?: number;
  evaluationImages?: number;
  fineTune?: { epochs: number; lr: number; lambda: number };
  seed?: number;
}

/**
 * The compression report as one self-contained HTML page: inline CSS and an inline SVG
 * chart, no scripts, no external assets. Every string from the report or the settings
 * (layer names, reasons, paths) is escaped.
 */
export function renderReportHtml(report: CompressionReport, settings: ReportSettings): string {
  const sections = [
    report.warnings.length > 0 ? section('Warnings', warningsList(report.warnings)) : '',
    section('Settings', settingsTable(report, settings)),
    section('Totals', totalsTable(report)),
    report.accuracy ? section('Accuracy', accuracyTable(report.accuracy)) : '',
    section('Layers', layersTable(report)),
    report.skipped.length > 0 ? section('Left dense', skippedTable(report)) : '',
    report.fineTune && report.fineTune.epochs.length > 0 ? section('Fine-tuning', fineTuneTable(report)) : '',
    section('Parameters per layer', paramsChart(report.layers)),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lowrank report: ${escapeHtml(settings.model)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>lowrank compression report</h1>
<p class="lead">${escapeHtml(settings.model)}: ${number(report.total.model.before.params)} &rarr; ${number(report.total.model.after.params)} parameters (${ratio(report.total.model.ratio)}), ${number(report.total.model.before.flops)} &rarr; ${number(report.total.model.after.flops)} MACs per sample, in ${report.seconds.toFixed(1)} s.</p>
${sections.filter((s) => s !== '').join('\n')}
</body>
</html>
`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #1d2330; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #d6dbe4; padding-bottom: .2em; }
.lead { color: #4a5568; }
.warnings li { color: #8a4b00; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: .25em .7em; border-bottom: 1px solid #e5e8ee; text-align: left; vertical-align: top; }
th { background: #f3f5f9; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.reason { color: #4a5568; max-width: 28em; }
.chart text { font: 12px system-ui, sans-serif; fill: #1d2330; }
.before { fill: #a0aec0; }
.after { fill: #3182ce; }
`;

function section(title: string, body: string): string {
  return `<section>\n<h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

type Cell = { text: string; className?: string };
const num = (text: string): Cell => ({ text, className: 'num' });

/** A table from plain strings (escaped here) with optional cell classes. */
function table(header: readonly (string | Cell)[], rows: readonly (readonly (string | Cell)[])[]): string {
  const cell = (tag: 'th' | 'td', c: string | Cell) => {
    const { text, className } = typeof c === 'string' ? { text: c, className: undefined } : c;
    return `<${tag}${className ? ` class="${className}"` : ''}>${escapeHtml(text)}</${tag}>`;
  };
  const head = `<tr>${header.map((c) => cell('th', c)).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => cell('td', c)).join('')}</tr>`).join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function settingsTable(report: CompressionReport, s: ReportSettings): string {
  const rows: [string, string][] = [
    ['model', s.model],
    ...(s.output ? [['output', s.output] as [string, string]] : []),
    ['decomposition', s.decomposition],
    ['norm', `${s.norm} (minimised: ${report.norm})`],
    ['rank selection', `${s.selector}: ${report.rankSelection}`],
    ...(s.ratio !== undefined ? [['target ratio', `${s.ratio}x`] as [string, string]] : []),
    ...(s.data ? [['data', s.data] as [string, string]] : []),
    ...(s.calibrationImages !== undefined
      ? [
          ['calibration', `${number(s.calibrationImages)} images, ${report.calibrationBatches} batches`] as [
            string,
            string,
          ],
        ]
      : []),
    ...(s.evaluationImages !== undefined
      ? [['evaluation', `${number(s.evaluationImages)} test images`] as [string, string]]
      : []),
    ...(s.fineTune
      ? [
          [
            'fine-tuning',
            `${s.fineTune.epochs} epoch${s.fineTune.epochs === 1 ? '' : 's'}, lr ${s.fineTune.lr}, lambda ${s.fineTune.lambda}`,
          ] as [string, string],
        ]
      : []),
    ...(s.seed !== undefined ? [['seed', String(s.seed)] as [string, string]] : []),
  ];
  return table(['setting', 'value'], rows);
}

function totalsTable(report: CompressionReport): string {
  const row = (what: string, t: CostTotals) => [
    what,
    num(number(t.before.params)),
    num(number(t.after.params)),
    num(ratio(t.ratio)),
    num(number(t.before.flops)),
    num(number(t.after.flops)),
    num(ratio(t.flopsReduction)),
  ];
  return table(
    [
      '',
      num('params before'),
      num('params after'),
      num('ratio'),
      num('MACs before'),
      num('MACs after'),
      num('MACs reduction'),
    ],
    [row('whole model', report.total.model), row('compressed layers', report.total.layers)],
  );
}

function accuracyTable(accuracy: NonNullable<CompressionReport['accuracy']>): string {
  const rows = [
    ['before compression', num(percent(accuracy.before))],
    ['after compression', num(percent(accuracy.after))],
    ...(accuracy.fineTuned !== undefined ? [['after fine-tuning', num(percent(accuracy.fineTuned))]] : []),
  ];
  return table(['model', num('top-1 accuracy')], rows);
}

function layersTable(report: CompressionReport): string {
  const hasSigma = report.layers.some((l) => l.error.sigma !== undefined);
  const header = [
    'layer',
    'kind',
    'shape',
    'decomposition',
    'ranks',
    'why these ranks',
    num('params before'),
    num('params after'),
    num('MACs before'),
    num('MACs after'),
    num('error (Frobenius)'),
    ...(hasSigma ? [num('error (Sigma)')] : []),
    num('time'),
  ];
  const rows = report.layers.map((l) => [
    l.name,
    l.kind,
    l.shape.join(' x '),
    l.decomposition ?? 'kept dense',
    `[${l.ranks.join(', ')}]`,
    { text: l.reason, className: 'reason' },
    num(number(l.before.params)),
    num(number(l.after.params)),
    num(number(l.before.flops)),
    num(number(l.after.flops)),
    num(l.error.frobenius.toFixed(4)),
    ...(hasSigma ? [num(l.error.sigma === undefined ? '-' : l.error.sigma.toFixed(4))] : []),
    num(`${l.seconds.toFixed(2)} s`),
  ]);
  return table(header, rows);
}

function warningsList(warnings: readonly string[]): string {
  return `<ul class="warnings">\n${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('\n')}\n</ul>`;
}

function skippedTable(report: CompressionReport): string {
  return table(
    ['layer', 'kind', 'why'],
    report.skipped.map((s) => [s.name, s.kind, { text: s.reason, className: 'reason' }]),
  );
}

function fineTuneTable(report: CompressionReport): string {
  const epochs = report.fineTune?.epochs ?? [];
  const hasAccuracy = epochs.some((e) => e.accuracy !== undefined);
  return table(
    [
      num('epoch'),
      num('loss'),
      num('cross-entropy'),
      num('distillation'),
      ...(hasAccuracy ? [num('accuracy')] : []),
    ],
    epochs.map((e) => [
      num(String(e.epoch)),
      num(e.loss.toFixed(4)),
      num(e.crossEntropy.toFixed(4)),
      num(e.distillation.toFixed(4)),
      ...(hasAccuracy ? [num(e.accuracy === undefined ? '-' : percent(e.accuracy))] : []),
    ]),
  );
}

/** Horizontal bars: each layer's params before (grey) and after (blue), on one scale. */
function paramsChart(layers: readonly LayerReport[]): string {
  const labelWidth = 170;
  const barWidth = 460;
  const valueWidth = 90;
  const rowHeight = 26;
  const top = 24;
  const height = top + rowHeight * layers.length + 6;
  const width = labelWidth + barWidth + valueWidth;
  const max = Math.max(1, ...layers.map((l) => Math.max(l.before.params, l.after.params)));
  const scale = (v: number) => Math.max(1, (barWidth * v) / max);
  const rows = layers.map((l, i) => {
    const y = top + i * rowHeight;
    const name = escapeHtml(l.name);
    return [
      `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${name}</text>`,
      `<rect class="before" x="${labelWidth}" y="${y + 2}" width="${scale(l.before.params).toFixed(1)}" height="10"><title>${name}: ${number(l.before.params)} params before</title></rect>`,
      `<rect class="after" x="${labelWidth}" y="${y + 13}" width="${scale(l.after.params).toFixed(1)}" height="10"><title>${name}: ${number(l.after.params)} params after</title></rect>`,
      `<text x="${labelWidth + barWidth + 6}" y="${y + 14}">${ratio(l.before.params / l.after.params)}</text>`,
    ].join('');
  });
  const legend =
    `<rect class="before" x="${labelWidth}" y="4" width="12" height="10"/><text x="${labelWidth + 16}" y="13">before</text>` +
    `<rect class="after" x="${labelWidth + 70}" y="4" width="12" height="10"/><text x="${labelWidth + 86}" y="13">after</text>`;
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="parameters per layer before and after compression">
${legend}
${rows.join('\n')}
</svg>`;
}

function number(n: number): string {
  return n.toLocaleString('en-US');
}

function ratio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : '-';
}

function percent(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}
