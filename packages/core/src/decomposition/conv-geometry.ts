import type { LayerInfo } from './layer-info.js';

/**
 * The geometry a factorized conv layer keeps from the conv it replaces (for its kernel conv),
 * as the fields of its saved config.
 */
export type ConvGeometry = {
  kernelSize: [number, number];
  stride: [number, number];
  /** [top, bottom, left, right] */
  padding: [number, number, number, number];
  dilation: [number, number];
};

/** The kernel size, stride, padding and dilation of `layer`, as fresh arrays. */
export function convGeometry(layer: LayerInfo): ConvGeometry {
  return {
    kernelSize: [...layer.kernel],
    stride: [...layer.stride],
    padding: [...layer.padding],
    dilation: [...layer.dilation],
  };
}
