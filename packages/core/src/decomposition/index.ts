export * from './checks.js';
export * from './layer-info.js';
export * from './metric.js';
export * from './plugin.js';
