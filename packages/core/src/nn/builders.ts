import type { Engine } from '../engine.js';
import { GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh } from './activations.js';
import { BatchNorm2d } from './batch-norm.js';
import { Identity, Residual, Sequential } from './containers.js';
import { Conv2d } from './conv2d.js';
import { Dropout, Flatten } from './layers.js';
import { Linear } from './linear.js';
import type { Module, ModuleConfig, ModuleDescription } from './module.js';
import { AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d } from './pooling.js';

/** Rebuilds one module type from its config and its already rebuilt children. */
export type ModuleBuilder = (
  engine: Engine,
  config: ModuleConfig,
  children: Record<string, Module>,
) => Module;

// biome-ignore lint/suspicious/noExplicitAny: configs are JSON read back from a file; each builder knows its own.
type AnyConfig = any;

/** Builders of the core layer types; packages with their own layers pass theirs to `buildModule`. */
export const coreModuleBuilders: Readonly<Record<string, ModuleBuilder>> = {
  Linear: (e, c: AnyConfig) => new Linear(e, c.inFeatures, c.outFeatures, { bias: c.bias, dtype: c.dtype }),
  Conv2d: (e, c: AnyConfig) =>
    new Conv2d(e, c.inChannels, c.outChannels, c.kernelSize, {
      stride: c.stride,
      padding: c.padding,
      dilation: c.dilation,
      groups: c.groups,
      bias: c.bias,
      dtype: c.dtype,
    }),
  BatchNorm2d: (e, c: AnyConfig) =>
    new BatchNorm2d(e, c.numFeatures, { eps: c.eps, momentum: c.momentum, affine: c.affine }),
  ReLU: (e) => new ReLU(e),
  GELU: (e) => new GELU(e),
  Sigmoid: (e) => new Sigmoid(e),
  Tanh: (e) => new Tanh(e),
  Softmax: (e, c: AnyConfig) => new Softmax(e, c.axis),
  LogSoftmax: (e, c: AnyConfig) => new LogSoftmax(e, c.axis),
  MaxPool2d: (e, c: AnyConfig) =>
    new MaxPool2d(e, c.kernelSize, { stride: c.stride, padding: c.padding, dilation: c.dilation }),
  AvgPool2d: (e, c: AnyConfig) =>
    new AvgPool2d(e, c.kernelSize, {
      stride: c.stride,
      padding: c.padding,
      countIncludePad: c.countIncludePad,
    }),
  AdaptiveAvgPool2d: (e, c: AnyConfig) => new AdaptiveAvgPool2d(e, c.outputSize),
  AdaptiveMaxPool2d: (e, c: AnyConfig) => new AdaptiveMaxPool2d(e, c.outputSize),
  Flatten: (e, c: AnyConfig) => new Flatten(e, c.startAxis, c.endAxis),
  Dropout: (e, c: AnyConfig) => new Dropout(e, c.p),
  Identity: (e) => new Identity(e),
  Sequential: (e, _c, children) =>
    new Sequential(
      e,
      Object.keys(children)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => children[k]),
    ),
  Residual: (e, _c, ch) =>
    new Residual(e, ch.main, { shortcut: ch.shortcut ?? null, after: ch.after ?? null }),
};

/** Builds a module tree (freshly initialised weights) from its description. */
export function buildModule(
  engine: Engine,
  description: ModuleDescription,
  builders: Readonly<Record<string, ModuleBuilder>> = {},
  path = '',
): Module {
  const all = { ...coreModuleBuilders, ...builders };
  const children = Object.fromEntries(
    Object.entries(description.children ?? {}).map(([name, child]) => [
      name,
      buildModule(engine, child, builders, path ? `${path}.${name}` : name),
    ]),
  );
  const builder = all[description.type];
  if (!builder) {
    throw new Error(
      `buildModule: no builder for module type '${description.type}' at '${path || '(root)'}'; known: ${Object.keys(all).join(', ')}. Pass the package's builders.`,
    );
  }
  const module = builder(engine, description.config, children);
  // Composite builders make default children; the described ones (maybe factorized layers) replace them.
  const defaults = new Map(module.namedChildren());
  for (const [name, child] of Object.entries(children)) {
    const current = defaults.get(name);
    if (current === undefined)
      throw new Error(`buildModule: '${description.type}' at '${path || '(root)'}' has no child '${name}'`);
    if (current !== child) {
      module.replaceModule(name, child);
      current.dispose();
    }
  }
  return module;
}
