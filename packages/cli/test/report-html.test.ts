import type { CompressionReport, LayerReport } from '@lowrank/compress';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/escape-html.js';
import { type ReportSettings, renderReportHtml } from '../src/report-html.js';

const HOSTILE = `fc1<script>alert("x")</script>&'</td>`;

function layer(name: string, before: number, after: number): LayerReport {
  return {
    name,
    kind: 'linear',
    shape: [120, 400],
    decomposition: 'svd',
    ranks: [12],
    reason: `budget: fraction 0.3 of <rank bounds> & more`,
    before: { params: before, flops: before },
    after: { params: after, flops: after },
    error: { frobenius: 0.25, sigma: 0.125 },
    seconds: 0.5,
  };
}

function report(layers: LayerReport[]): CompressionReport {
  const before = layers.reduce((s, l) => s + l.before.params, 0);
  const after = layers.reduce((s, l) => s + l.after.params, 0);
  const totals = {
    before: { params: before, flops: before },
    after: { params: after, flops: after },
    ratio: before / after,
    flopsReduction: before / after,
  };
  return {
    layers,
    skipped: [{ name: 'conv1<b>', kind: 'conv2d', reason: 'first conv layer, kept dense (keepFirstConv)' }],
    norm: 'sigma',
    rankSelection: 'rank-budget (ratio 2 over the model)',
    total: { model: totals, layers: totals },
    accuracy: { before: 0.9, after: 0.85, fineTuned: 0.88 },
    fineTune: {
      epochs: [
        {
          epoch: 1,
          loss: 0.5,
          crossEntropy: 0.4,
          distillation: 1,
          weightDistance: 0.5,
          outputDistance: 0.5,
          accuracy: 0.88,
        },
      ],
    },
    calibrationBatches: 4,
    warnings: [],
    seconds: 3.5,
  };
}

const SETTINGS: ReportSettings = {
  model: 'models/<lenet>.onnx',
  output: 'out/"small".onnx',
  decomposition: 'tucker2 (conv), svd (linear)',
  norm: 'sigma',
  selector: 'rank-budget',
  ratio: 2,
  data: 'Fashion-MNIST',
  calibrationImages: 1000,
  evaluationImages: 1000,
  fineTune: { epochs: 1, lr: 0.003, lambda: 0.01 },
  seed: 0,
};

describe('renderReportHtml', () => {
  const html = renderReportHtml(report([layer('conv2', 2416, 358), layer(HOSTILE, 48120, 23000)]), SETTINGS);

  it('lists every layer, the totals and the accuracies', () => {
    expect(html).toContain('<td>conv2</td>');
    expect(html).toContain('2,416');
    expect(html).toContain('23,000');
    expect(html).toContain('50,536');
    expect(html).toContain('90.00%');
    expect(html).toContain('85.00%');
    expect(html).toContain('88.00%');
    expect(html).toContain('rank-budget (ratio 2 over the model)');
    expect(html).toContain('first conv layer, kept dense (keepFirstConv)');
  });

  it('escapes a hostile layer name, reasons and paths everywhere (table and chart)', () => {
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>');
    const escaped = escapeHtml(HOSTILE);
    // Once in the table, three times in the chart (label and two tooltips).
    expect(html.split(escaped).length - 1).toBe(4);
    expect(html).toContain('&lt;rank bounds&gt; &amp; more');
    expect(html).toContain('models/&lt;lenet&gt;.onnx');
    expect(html).toContain('out/&quot;small&quot;.onnx');
  });

  it('is self-contained: inline style, an inline SVG, no script, no external reference', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).toMatch(/<svg [^>]*>[\s\S]*<\/svg>/);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    const urls = html.match(/https?:\/\/[^"\s]+/g) ?? [];
    expect(urls).toEqual(['http://www.w3.org/2000/svg']);
  });

  it('draws one before and one after bar per layer, the before bars in proportion', () => {
    const widths = [
      ...html.matchAll(/<rect class="before" x="\d+" y="\d+" width="([\d.]+)" height="10">/g),
    ].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[0] / widths[1]).toBeCloseTo(2416 / 48120, 2);
    expect([
      ...html.matchAll(/<rect class="after" x="\d+" y="\d+" width="[\d.]+" height="10">/g),
    ]).toHaveLength(2);
  });

  it('leaves out the accuracy and fine-tuning sections when there were none', () => {
    const plain = report([layer('fc1', 100, 50)]);
    delete plain.accuracy;
    delete plain.fineTune;
    const out = renderReportHtml(plain, {
      model: 'm',
      decomposition: 'svd',
      norm: 'frobenius',
      selector: 'rank-budget',
    });
    expect(out).not.toContain('<h2>Accuracy</h2>');
    expect(out).not.toContain('<h2>Fine-tuning</h2>');
    expect(out).not.toContain('<h2>Warnings</h2>');
    expect(out).toContain('<h2>Layers</h2>');
  });

  it('lists the warnings first, escaped, when there are any', () => {
    const warned = report([layer('fc1', 100, 50)]);
    warned.warnings = ["sigma: 'fc<1>' was calibrated on 3 input rows for 400 input dimensions"];
    const out = renderReportHtml(warned, {
      model: 'm',
      decomposition: 'svd',
      norm: 'sigma',
      selector: 'rank-budget',
    });
    expect(out).toContain('<h2>Warnings</h2>');
    expect(out).toContain('&#39;fc&lt;1&gt;&#39; was calibrated on 3 input rows');
    expect(out.indexOf('<h2>Warnings</h2>')).toBeLessThan(out.indexOf('<h2>Settings</h2>'));
  });
});

describe('escapeHtml', () => {
  const unescapeHtml = (s: string) =>
    s.replace(
      /&(lt|gt|quot|#39|amp);/g,
      (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e] ?? '',
    );

  it('leaves no < > " \' and no bare & in any string, and unescaping gives the string back (exact)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        const e = escapeHtml(s);
        expect(e).not.toMatch(/[<>"']/);
        expect(e).not.toMatch(/&(?!(lt|gt|quot|#39|amp);)/);
        expect(unescapeHtml(e)).toBe(s);
      }),
    );
  });
});
