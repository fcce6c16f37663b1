import { add, type Engine, mul, square, sub, sum, type Tensor } from '@lowrank/core';
import type { ResolvedLayer } from './constrained-layers.js';

/**
 * The ADMM variables of the constrained layers: `Z_l` (in the rank set) and the scaled
 * dual `U_l`, both shaped like `W_l` and kept alive across steps. The penalty
 * `rho/2 sum ‖W_l - Z_l + U_l‖^2` is computed against `Z_l - U_l`, kept as one tensor.
 */
export class AdmmVariables {
  private readonly z: Tensor[] = [];
  private readonly u: Tensor[] = [];
  private readonly target: Tensor[] = [];

  private constructor(
    private readonly engine: Engine,
    readonly layers: readonly ResolvedLayer[],
  ) {}

  /** `U = 0`, `Z = project(W)`: the start of Alg. 2. */
  static async start(engine: Engine, layers: readonly ResolvedLayer[]): Promise<AdmmVariables> {
    const v = new AdmmVariables(engine, layers);
    for (const layer of layers) {
      const z = await project(layer, layer.weight);
      v.z.push(engine.keep(z));
      v.u.push(engine.keep(engine.zerosLike(layer.weight)));
      v.target.push(engine.keep(engine.noGrad(() => z.detach())));
    }
    return v;
  }

  /** Variables restored from a checkpoint (copies of the given `Z` and `U`, in layer order). */
  static restore(engine: Engine, layers: readonly ResolvedLayer[], z: Tensor[], u: Tensor[]): AdmmVariables {
    const v = new AdmmVariables(engine, layers);
    layers.forEach((_, l) => {
      v.z.push(engine.keep(engine.noGrad(() => z[l].detach())));
      v.u.push(engine.keep(engine.noGrad(() => u[l].detach())));
      v.target.push(engine.keep(engine.noGrad(() => sub(z[l], u[l]))));
    });
    return v;
  }

  /** The ADMM term `rho/2 sum ‖W_l - Z_l + U_l‖^2`, differentiable in the weights. */
  penalty(rho: number): Tensor {
    const terms = this.layers.map((layer, l) => sum(square(sub(layer.weight, this.target[l]))));
    return mul(
      terms.reduce((a, b) => add(a, b)),
      rho / 2,
    );
  }

  /** One round's update: `Z_l <- project(W_l + U_l)`, then `U_l <- U_l + W_l - Z_l`. */
  async update(): Promise<void> {
    const { engine } = this;
    for (const [l, layer] of this.layers.entries()) {
      const shifted = engine.noGrad(() => add(layer.weight, this.u[l]));
      let z: Tensor;
      try {
        z = await project(layer, shifted);
      } finally {
        shifted.dispose();
      }
      const u = engine.noGrad(() => engine.tidy(() => add(this.u[l], sub(layer.weight, z))));
      const target = engine.noGrad(() => sub(z, u));
      this.replace(this.z, l, z);
      this.replace(this.u, l, u);
      this.replace(this.target, l, target);
    }
  }

  /** `‖W_l - Z_l‖^2` per layer, read back as numbers (asynchronous on GPU backends). */
  async residuals(): Promise<number[]> {
    const out: number[] = [];
    for (const [l, layer] of this.layers.entries()) {
      const r = this.engine.noGrad(() => this.engine.tidy(() => sum(square(sub(layer.weight, this.z[l])))));
      out.push(await r.item());
      r.dispose();
    }
    return out;
  }

  /** The current `Z` and `U` tensors, in layer order (owned by this object). */
  get values(): { z: readonly Tensor[]; u: readonly Tensor[] } {
    return { z: this.z, u: this.u };
  }

  dispose(): void {
    for (const t of [...this.z, ...this.u, ...this.target]) t.dispose();
    this.z.length = 0;
    this.u.length = 0;
    this.target.length = 0;
  }

  private replace(list: Tensor[], l: number, value: Tensor): void {
    list[l].dispose();
    list[l] = this.engine.keep(value);
  }
}

/** The decomposition's projection of `w` onto the layer's rank set, in `w`'s dtype. */
async function project(layer: ResolvedLayer, w: Tensor): Promise<Tensor> {
  const z = await layer.decomposition.project(w, layer.info, layer.ranks, layer.metric);
  if (z.shape.join() !== layer.weight.shape.join()) {
    z.dispose();
    throw new Error(
      `admm: ${layer.decomposition.name}.project returned shape [${z.shape}] for '${layer.name}', whose weight is [${layer.weight.shape}]`,
    );
  }
  if (z.dtype === layer.weight.dtype) return z;
  const cast = z.cast(layer.weight.dtype);
  z.dispose();
  return cast;
}
