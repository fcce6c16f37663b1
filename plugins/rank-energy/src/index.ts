export { energyRank } from './energy-rank.js';
export { type EnergySettings, rankEnergy } from './plugin.js';
