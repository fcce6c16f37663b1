import type { Engine, nn } from '@lowrank/core';
import { LeNet5, ResNet8 } from '@lowrank/models';

/** The architectures a plain (PyTorch) state dict can be loaded into, by `--arch` name. */
export const ARCHITECTURES = {
  lenet5: (engine: Engine) => new LeNet5(engine),
  resnet8: (engine: Engine) => new ResNet8(engine),
} as const satisfies Record<string, (engine: Engine) => nn.Module>;

export type ArchitectureName = keyof typeof ARCHITECTURES;

export const ARCHITECTURE_NAMES = Object.keys(ARCHITECTURES) as ArchitectureName[];

/**
 * The architecture whose state-dict names are exactly `names`, or undefined. A plain
 * state dict has no description of its model, so its tensor names are what identify it.
 */
export function detectArchitecture(engine: Engine, names: ReadonlySet<string>): ArchitectureName | undefined {
  return ARCHITECTURE_NAMES.find((arch) => {
    const model = ARCHITECTURES[arch](engine);
    try {
      const own = [...model.stateDict().keys()];
      return own.length === names.size && own.every((k) => names.has(k));
    } finally {
      model.dispose();
    }
  });
}
