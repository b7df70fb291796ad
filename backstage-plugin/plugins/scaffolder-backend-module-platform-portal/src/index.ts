/**
 * Scaffolder actions that create services through the platform portal.
 *
 * @packageDocumentation
 */
export { scaffolderModulePlatformPortal as default } from './module';
export { createGoldenPathRunAction, GOLDEN_PATH_RUN_ACTION_ID } from './actions/goldenPathRun';
export type { GoldenPathRunActionOptions } from './actions/goldenPathRun';
export { createGoldenPathDryRunAction, GOLDEN_PATH_DRY_RUN_ACTION_ID } from './actions/goldenPathDryRun';
export { createResourceRequestAction, RESOURCE_REQUEST_ACTION_ID } from './actions/resourceRequest';
export type { ResourceRequestActionOptions } from './actions/resourceRequest';
