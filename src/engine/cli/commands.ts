/**
 * Every `xlm` command. Adding a command is one entry here (its CommandSpec lives in its own file).
 */
import { classifyCommand } from './classify.js';
import type { CommandSpec } from './command.js';
import { embedCommand } from './embed.js';
import { languageIdCommand } from './language-id.js';
import { exportOnnxCommand } from './export.js';
import { fillMaskCommand } from './fill-mask.js';
import { hubDownloadCommand, hubListCommand, hubRemoveCommand } from './hub.js';
import { tokenizeCommand } from './tokenize.js';
import { mergeCommand } from './merge.js';
import { trainCommand } from './train.js';
import { evalCommand } from './eval.js';
import { dataInspectCommand } from './data-inspect.js';
import { dataAuditCommand } from './data-audit.js';
import { translateCommand } from './translate.js';
import { zeroShotCommand } from './zero-shot.js';
import { pretrainCommand } from './pretrain.js';
import { exportJobCommand } from './export-job.js';
import { importRunCommand } from './import-run.js';
import { SCORE_COMMANDS } from './score.js';
import { qaCommand } from './qa.js';
import { versionCommand } from './version.js';

export const COMMANDS: readonly CommandSpec[] = [tokenizeCommand, fillMaskCommand, classifyCommand, qaCommand, zeroShotCommand, translateCommand, embedCommand, languageIdCommand, exportOnnxCommand, trainCommand, evalCommand, dataInspectCommand, dataAuditCommand, mergeCommand, pretrainCommand, ...SCORE_COMMANDS, exportJobCommand, importRunCommand, hubDownloadCommand, hubListCommand, hubRemoveCommand, versionCommand];
