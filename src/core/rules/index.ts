// The rule engine's public API: load a module's rules, compile them once, match parsed lines.
// Re-exports only.
export { compileRules, type RuleMiss, type RuleSet, type RuleTrace } from './ruleset.js';
export { compilePattern, type CompiledPattern } from './compile.js';
export { DEFAULT_LOCAL_RULES_DIR, loadModuleRules, shippedRulesDir, type LoadedRules, type LoadRulesOptions } from './load.js';
export { mergeRuleFiles, type MergedRules } from './merge.js';
export { parseRuleText, type RuleEntry, type RuleFile, type RuleOrigin } from './parse.js';
export { MAX_MESSAGE, PLACEHOLDERS } from './placeholders.js';
export { checkSamples, sampleLine } from './samples.js';
export type { MatchSample, Rule, RuleSamples, RuleSource } from './types.js';
export type { RuleReader } from './fs-reader.js';
