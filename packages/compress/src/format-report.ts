import type { CompressionReport, CostTotals } from './report.js';

/** The report as a plain-text table (one row per layer), totals, skipped layers, rank reasons and accuracy. */
export function formatReport(report: CompressionReport): string {
  const hasSigma = report.layers.some((l) => l.error.sigma !== undefined);
  const header = [
    'layer',
    'kind',
    'shape',
    'decomposition',
    'ranks',
    'params',
    'MACs',
    'ratio',
    'err F',
    ...(hasSigma ? ['err Sigma'] : []),
    'time',
  ];
  const rows = report.layers.map((l) => [
    l.name,
    l.kind,
    l.shape.join('x'),
    l.decomposition ?? 'dense (kept)',
    `[${l.ranks.join(', ')}]`,
    `${l.before.params} -> ${l.after.params}`,
    `${l.before.flops} -> ${l.after.flops}`,
    `${(l.before.params / l.after.params).toFixed(2)}x`,
    l.error.frobenius.toFixed(4),
    ...(hasSigma ? [l.error.sigma === undefined ? '-' : l.error.sigma.toFixed(4)] : []),
    `${l.seconds.toFixed(2)}s`,
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, j) => c.padEnd(widths[j]))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ''];
  out.push(totalLine('compressed layers', report.total.layers));
  out.push(totalLine('whole model', report.total.model));
  out.push(`norm: ${report.norm}; ranks: ${report.rankSelection}`);
  for (const l of report.layers) out.push(`  ${l.name}: ${l.reason}`);
  if (report.skipped.length > 0) {
    out.push('left dense:');
    for (const s of report.skipped) out.push(`  ${s.name}: ${s.reason}`);
  }
  if (report.warnings.length > 0) {
    out.push('warnings:');
    for (const w of report.warnings) out.push(`  ${w}`);
  }
  const acc = report.accuracy;
  if (acc) {
    const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
    out.push(
      `accuracy: before ${pct(acc.before)}, after ${pct(acc.after)} (${signed(100 * (acc.after - acc.before))} points)` +
        (acc.fineTuned === undefined
          ? ''
          : `, fine-tuned ${pct(acc.fineTuned)} (${signed(100 * (acc.fineTuned - acc.before))} points)`),
    );
  }
  return out.join('\n');
}

function totalLine(label: string, t: CostTotals): string {
  return `${label}: params ${t.before.params} -> ${t.after.params} (${t.ratio.toFixed(2)}x), MACs ${t.before.flops} -> ${t.after.flops} (${t.flopsReduction.toFixed(2)}x)`;
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
}
