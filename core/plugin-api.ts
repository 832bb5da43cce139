/**
 * What a plugin needs from the toolkit, and nothing that pulls in the pipeline:
 * built-in plugins import this file; third-party ones can import it or the package root.
 */
export { COMMON_RUN_OPTIONS, defineGuidance, defineMode, defineSchedule, modeInputs, planCost } from './plugin.ts';
export { classifierFreeGuidance, type GuidancePlugin, type GuidanceStep } from './guidance-rule.ts';
export type { ImageSource } from './io/image-source.ts';
export type {
  ModeCost,
  ModeInput,
  ModeBatch,
  ModeContext,
  ModePlan,
  ModePlugin,
  PlanContext,
  Plugin,
  PluginModule,
  ScheduleContext,
  SchedulePlugin,
} from './plugin.ts';
export type { DdimSampler, NoiseStreams, SampleOptions, SampleStep, SamplerHooks, StepEvent, StepHookResult } from './sampler.ts';
export { PluginError, UserError } from './errors.ts';
export { clampUnit } from './math/clamp.ts';
export { pairFrames } from './math/pair-frames.ts';
export { allTimesteps, linspace, roundHalfEven, skipOrAll } from './schedule-helpers.ts';
export { torchLinspaceFloat32 } from './math/torch-linspace.ts';
export { fillGaussian, INITIAL_STEP, type NoiseKey } from './noise/philox.ts';
