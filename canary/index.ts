// What a canary plan file imports (`rushhour/canary`): the helper, the types, the judge.
export { defineCanary, validateCanary, type CanaryDefinition, type CanaryStep, type CanaryAnalysis, type ComparedMetric, type RollbackTriggers } from './canary.ts';
export { mannWhitney, type MannWhitneyResult } from './stats/mann-whitney.ts';
export { classifyMetric, scoreClassifications, scoreVerdict } from './stats/judge.ts';
