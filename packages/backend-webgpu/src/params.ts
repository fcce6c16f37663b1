type Scalar = 'i32' | 'u32' | 'f32';

/**
 * A kernel's uniform parameters: named 4-byte scalars, declared in WGSL as the
 * struct `Params` (bound as `P`) and packed in the same order. Arrays become
 * numbered fields (`shape0`, `shape1`, ...) that the generated code indexes with
 * constants. The field names and types are part of the pipeline key, so the
 * struct always matches the data.
 */
export class Params {
  private readonly fields: [string, Scalar][] = [];
  private readonly values: number[] = [];

  i32(name: string, value: number): this {
    return this.add(name, 'i32', value);
  }
  u32(name: string, value: number): this {
    return this.add(name, 'u32', value);
  }
  f32(name: string, value: number): this {
    return this.add(name, 'f32', value);
  }
  /** `name0`, `name1`, ... */
  i32s(name: string, values: readonly number[]): this {
    for (const [i, v] of values.entries()) this.i32(`${name}${i}`, v);
    return this;
  }

  /** Identifies the struct layout (for the pipeline key). */
  signature(): string {
    return this.fields.map(([n, t]) => `${n}:${t}`).join(',');
  }

  struct(): string {
    return `struct Params {\n${this.fields.map(([n, t]) => `  ${n}: ${t},`).join('\n')}\n}`;
  }

  /** The packed values, padded to a multiple of 16 bytes. */
  data(): ArrayBuffer {
    const buffer = new ArrayBuffer(Math.max(16, Math.ceil(this.values.length / 4) * 16));
    const view = new DataView(buffer);
    this.fields.forEach(([, type], i) => {
      const v = this.values[i];
      if (type === 'f32') view.setFloat32(i * 4, v, true);
      else if (type === 'u32') view.setUint32(i * 4, v >>> 0, true);
      else view.setInt32(i * 4, v, true);
    });
    return buffer;
  }

  private add(name: string, type: Scalar, value: number): this {
    if (type !== 'f32' && !Number.isInteger(value))
      throw new TypeError(`webgpu: parameter ${name} must be an integer, got ${value}`);
    if (type === 'i32' && (value > 0x7fffffff || value < -0x80000000)) {
      throw new RangeError(`webgpu: parameter ${name} = ${value} does not fit in 32 bits`);
    }
    this.fields.push([name, type]);
    this.values.push(value);
    return this;
  }
}
