export { energyFractions } from './energy-fractions.js';
export { energyRank } from './energy-rank.js';
export { type EnergyRankSelector, type EnergySelection, type EnergySettings, rankEnergy } from './plugin.js';
