export * from './calibrate.js';
export * from './plugin.js';
