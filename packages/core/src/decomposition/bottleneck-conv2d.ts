import type { Engine } from '../engine.js';
import { Conv2d } from '../nn/conv2d.js';
import type { ConvGeometry } from './conv-geometry.js';
import { FactorizedChain } from './factorized-layer.js';

/** Constructor arguments of a `BottleneckConv2d` (also the saved config of its subclasses). */
export type BottleneckConv2dConfig = {
  inChannels: number;
  outChannels: number;
  /** `[R1, R2]`: the kernel conv's output and input channels. */
  ranks: [number, number];
} & ConvGeometry & {
    bias: boolean;
    dtype: 'float32' | 'float64';
  };

/**
 * A conv layer as three convs run in turn (Tucker2's layer, and TT's three-core conv layout):
 * `first`, a 1x1 conv `I -> R2`; `core`, a `Kh x Kw` conv `R2 -> R1` with the original
 * stride, padding and dilation; `last`, a 1x1 conv `R1 -> O` with the original bias. Neither
 * `first` nor `core` has a bias, so `first` maps the zero padding to zeros and running it
 * before the padding is exact. Subclasses name the type and load their factors.
 */
export abstract class BottleneckConv2d<
  C extends BottleneckConv2dConfig = BottleneckConv2dConfig,
> extends FactorizedChain<C> {
  constructor(engine: Engine, config: C) {
    super(engine, config);
    const { inChannels, outChannels, ranks, kernelSize, stride, padding, dilation, bias, dtype } = config;
    const [r1, r2] = ranks;
    this.registerModule('first', new Conv2d(engine, inChannels, r2, 1, { bias: false, dtype }));
    this.registerModule(
      'core',
      new Conv2d(engine, r2, r1, kernelSize, { stride, padding, dilation, bias: false, dtype }),
    );
    this.registerModule('last', new Conv2d(engine, r1, outChannels, 1, { bias, dtype }));
  }

  /** The 1x1 conv `I -> R2` (children are looked up by name, so a replaced child is the one used). */
  get first(): Conv2d {
    return this.getModule('first') as Conv2d;
  }
  /** The `Kh x Kw` conv `R2 -> R1`. */
  get core(): Conv2d {
    return this.getModule('core') as Conv2d;
  }
  /** The 1x1 conv `R1 -> O`. */
  get last(): Conv2d {
    return this.getModule('last') as Conv2d;
  }
}
