export { OperationsEngine, remainingSinceStart } from './engine.js';
export type { BeginOptions, EngineOptions, OperationHandler, StepContext, StepResult } from './engine.js';
