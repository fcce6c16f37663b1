/**
 * The WebGPU flag values (fixed by the spec). Spelled out here so that the backend
 * needs no `GPUBufferUsage`/`GPUMapMode` globals: in Node those exist only after
 * copying Dawn's globals onto `globalThis`, which a side-effect-free library avoids.
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const MapMode = { READ: 0x0001 } as const;
