export { createBerth } from './create-berth.js';
export type { BerthOptions, RunningBerth } from './create-berth.js';
export { defaultMaxRunningPods } from '@berth/local-cloud';
