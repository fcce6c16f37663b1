/**
 * @lowrank/cli: the `lowrank` command (compress, info, eval) and, for library users,
 * its pieces: the runner, the HTML report, the layer table, the model file reader.
 */
export { ARCHITECTURE_NAMES, type ArchitectureName, detectArchitecture } from './architectures.js';
export type { CliIo } from './cli-io.js';
export { type CompressOptions, parseCompressOptions, runCompress } from './compress-command.js';
export { escapeHtml } from './escape-html.js';
export { type EvalOptions, type EvalResult, parseEvalOptions, runEval } from './eval-command.js';
export { type InfoOptions, parseInfoOptions, runInfo } from './info-command.js';
export { formatLayerTable, type LayerRow, type LayerTable, layerTable } from './layer-table.js';
export { type LoadedModel, loadModelFile, type ModelFormat } from './model-file.js';
export { allModuleBuilders } from './module-builders.js';
export { ProgressReporter, type ProgressSettings } from './progress-reporter.js';
export { type ReportSettings, renderReportHtml } from './report-html.js';
export { EXIT, runCli } from './run-cli.js';
export { UsageError } from './usage-error.js';
