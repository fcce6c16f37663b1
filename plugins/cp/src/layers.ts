/**
 * The factorized layers: ordinary modules made of core Conv2d / Linear children whose
 * weights are the CP factors, so they train with autodiff, save and load like any
 * model, and are counted by the usual MAC hooks.
 */
import {
  type Engine,
  FactorizedChain,
  type LayerInfo,
  mul,
  nn,
  reshape,
  type Tensor,
  transpose,
} from '@lowrank/core';
import type { CpFactors } from './factors.js';

/** No config: a CP layer is rebuilt from its children alone. */
type NoConfig = Record<string, never>;

/**
 * A conv layer as four convolutions (Lebedev et al. 2015): 1x1 `I -> R` (`B^T`),
 * depthwise `Kh x 1` (`C`, the vertical stride, padding and dilation), depthwise
 * `1 x Kw` (`D`, the horizontal ones), 1x1 `R -> O` (`A diag(lambda)`) with the bias,
 * run in that order (in ONNX four Conv nodes, so the export keeps the factorized size).
 */
export class CpConv2d extends FactorizedChain<NoConfig> {
  constructor(
    engine: Engine,
    readonly input: nn.Conv2d,
    readonly vertical: nn.Conv2d,
    readonly horizontal: nn.Conv2d,
    readonly output: nn.Conv2d,
  ) {
    super(engine, {});
    this.registerModule('input', input);
    this.registerModule('vertical', vertical);
    this.registerModule('horizontal', horizontal);
    this.registerModule('output', output);
  }

  get typeName(): string {
    return 'CpConv2d';
  }
  get rank(): number {
    return this.input.outChannels;
  }
}

/** A linear layer as two: `I -> R` (`B^T`), then `R -> O` (`A diag(lambda)`) with the bias. */
export class CpLinear extends FactorizedChain<NoConfig> {
  constructor(
    engine: Engine,
    readonly input: nn.Linear,
    readonly output: nn.Linear,
  ) {
    super(engine, {});
    this.registerModule('input', input);
    this.registerModule('output', output);
  }

  get typeName(): string {
    return 'CpLinear';
  }
  get rank(): number {
    return this.input.outFeatures;
  }
}

/** The factorized module for `layer`, its parameters copied from the factors (in their dtype). */
export function cpLayer(f: CpFactors, layer: LayerInfo, bias: Tensor | null): CpConv2d | CpLinear {
  const engine = f.lambda.engine;
  const dtype = f.lambda.dtype === 'float64' ? 'float64' : 'float32';
  const rank = f.lambda.shape[0];
  const [a, b, c, d] = f.factors;
  const [o, i] = [layer.outChannels, layer.inChannels];
  const withBias = { bias: bias !== null, dtype } as const;
  const none = { bias: false, dtype } as const;
  if (layer.kind === 'linear') {
    const input = new nn.Linear(engine, i, rank, none);
    const output = new nn.Linear(engine, rank, o, withBias);
    setWeights(input, () => transpose(b));
    setWeights(output, () => mul(a, f.lambda), bias);
    return new CpLinear(engine, input, output);
  }
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  const [top, bottom, left, right] = layer.padding;
  const [dh, dw] = layer.dilation;
  const depthwise = { ...none, groups: rank };
  const input = new nn.Conv2d(engine, i, rank, [1, 1], none);
  const vertical = new nn.Conv2d(engine, rank, rank, [kh, 1], {
    ...depthwise,
    stride: [sh, 1],
    padding: [top, bottom, 0, 0],
    dilation: [dh, 1],
  });
  const horizontal = new nn.Conv2d(engine, rank, rank, [1, kw], {
    ...depthwise,
    stride: [1, sw],
    padding: [0, 0, left, right],
    dilation: [1, dw],
  });
  const output = new nn.Conv2d(engine, rank, o, [1, 1], withBias);
  setWeights(input, () => reshape(transpose(b), [rank, i, 1, 1]));
  setWeights(vertical, () => reshape(transpose(c), [rank, 1, kh, 1]));
  setWeights(horizontal, () => reshape(transpose(d), [rank, 1, 1, kw]));
  setWeights(output, () => reshape(mul(a, f.lambda), [o, rank, 1, 1]), bias);
  return new CpConv2d(engine, input, vertical, horizontal, output);
}

function setWeights(m: nn.Conv2d | nn.Linear, weight: () => Tensor, bias: Tensor | null = null): void {
  m.engine.noGrad(() =>
    m.engine.tidy(() => {
      const state = new Map([['weight', weight()]]);
      if (bias) state.set('bias', bias);
      m.loadStateDict(state);
    }),
  );
}

/** Builders for `nn.buildModule` / `loadModule`, so saved models with CP layers can be rebuilt. */
export const moduleBuilders: Readonly<Record<string, nn.ModuleBuilder>> = {
  CpConv2d: (engine, _config, children) =>
    new CpConv2d(
      engine,
      children.input as nn.Conv2d,
      children.vertical as nn.Conv2d,
      children.horizontal as nn.Conv2d,
      children.output as nn.Conv2d,
    ),
  CpLinear: (engine, _config, children) =>
    new CpLinear(engine, children.input as nn.Linear, children.output as nn.Linear),
};
