export * from './bias-correction.js';
export * from './checks.js';
export * from './layer-info.js';
export * from './metric.js';
export * from './metric-error.js';
export * from './plugin.js';
export * from './refine.js';
export * from './with-metric.js';
