export * from './analyse-unfoldings.js';
export * from './budget.js';
export * from './plugin.js';
export * from './selection.js';
export * from './unfoldings.js';
