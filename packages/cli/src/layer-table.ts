import { denseCost, layerInfo, nn } from '@lowrank/core';

/** One leaf module with parameters, as `lowrank info` lists it. */
export interface LayerRow {
  name: string;
  type: string;
  /** Its weight's shape (or its first parameter's). */
  shape: number[];
  params: number;
  /** Multiply-accumulates per sample (conv and linear layers; undefined for others). */
  macs?: number;
}

export interface LayerTable {
  rows: LayerRow[];
  /** All of the model's parameters, and the MACs of its conv and linear layers. */
  total: { params: number; macs: number };
}

/**
 * The model's leaf modules that hold parameters (a factorized layer shows as its
 * convs or linears), with MACs per sample measured by one forward pass of a zero
 * sample of `inputShape` (which gives every conv its input size).
 */
export function layerTable(model: nn.Module, inputShape: readonly number[]): LayerTable {
  const sizes = convInputSizes(model, inputShape);
  const rows: LayerRow[] = [];
  for (const [name, module] of model.namedModules()) {
    if (module.namedChildren().length > 0) continue;
    const params = module.parameters();
    if (params.length === 0) continue;
    const decomposable = module instanceof nn.Conv2d || module instanceof nn.Linear;
    const weight = decomposable ? module.weight : params[0];
    rows.push({
      name: name || '(root)',
      type: module.typeName,
      shape: [...weight.shape],
      params: params.reduce((s, t) => s + t.size, 0),
      macs: decomposable ? denseCost(layerInfo(name, module, sizes.get(name))).flops : undefined,
    });
  }
  const macs = rows.reduce((s, r) => s + (r.macs ?? 0), 0);
  return { rows, total: { params: model.numParameters(), macs } };
}

function convInputSizes(model: nn.Module, inputShape: readonly number[]): Map<string, [number, number]> {
  const engine = model.engine;
  const sizes = new Map<string, [number, number]>();
  const removers = model
    .namedModules()
    .filter(([, m]) => m instanceof nn.Conv2d)
    .map(([name, m]) =>
      m.addForwardHook((_m, inputs) => {
        const shape = inputs[0].shape;
        sizes.set(name, [shape[2], shape[3]]);
      }),
    );
  const wasTraining = model.training;
  model.eval();
  try {
    engine.noGrad(() => engine.tidy(() => model.call(engine.zeros([1, ...inputShape]))));
  } finally {
    for (const remove of removers) remove();
    model.train(wasTraining);
  }
  return sizes;
}

/** The table as aligned text, with a totals line. */
export function formatLayerTable(table: LayerTable): string {
  const header = ['layer', 'type', 'shape', 'params', 'MACs'];
  const body = table.rows.map((r) => [
    r.name,
    r.type,
    r.shape.join('x'),
    r.params.toLocaleString('en-US'),
    r.macs === undefined ? '-' : r.macs.toLocaleString('en-US'),
  ]);
  const totals = [
    'total',
    '',
    '',
    table.total.params.toLocaleString('en-US'),
    table.total.macs.toLocaleString('en-US'),
  ];
  const all = [header, ...body, totals];
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (c >= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line), rule, line(totals)].join('\n');
}
