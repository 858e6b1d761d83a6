// What an experiment file imports (`rushhour/chaos`): the helper, the types, and the faults.
export { defineExperiment, validateExperiment, type ExperimentDefinition, type MethodStep, type Tolerance } from './experiment.ts';
export { faultSchema, injectFault, type FaultSpec, type ActiveFault, type FaultContext } from './faults/index.ts';
