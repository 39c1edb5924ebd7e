/** The contract suite (`authdouble verify`): data-driven checks run against any base URL. */
export { verify, prepareVerify, selectChecks, DEFAULT_TIMEOUT_MS, type VerifyOptions, type PreparedSuite } from './suite';
export { loadChecks, defaultFlowsDir, type LoadedCheck } from './load-flows';
export type { CheckKind, CheckSpec, FlowFile, StepSpec } from './flow-types';
