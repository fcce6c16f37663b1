import { readFile } from 'node:fs/promises';
import { type CliIo, processIo } from './cli-io.js';
import { parseCompressOptions, runCompress } from './compress-command.js';
import { parseEvalOptions, runEval } from './eval-command.js';
import { HELP } from './help.js';
import { parseInfoOptions, runInfo } from './info-command.js';
import { UsageError } from './usage-error.js';

/** Exit codes: 0 done, 1 the work failed, 2 the command line was wrong. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const COMMANDS: Readonly<Record<string, (argv: readonly string[], io: CliIo) => Promise<unknown>>> = {
  compress: (argv, io) => runCompress(parseCompressOptions(argv), io),
  info: (argv, io) => runInfo(parseInfoOptions(argv), io),
  eval: (argv, io) => runEval(parseEvalOptions(argv), io),
};

/**
 * The `lowrank` command: runs one command line and returns its exit code. Results go
 * to `io.stdout`, progress and errors to `io.stderr`; it never exits the process.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) throw new UsageError('no command given');
    if (command === '--help' || command === '-h' || command === 'help') {
      io.stdout(HELP['']);
      return EXIT.ok;
    }
    if (command === '--version' || command === '-v') {
      io.stdout(`${await version()}\n`);
      return EXIT.ok;
    }
    const run = COMMANDS[command];
    if (!run) {
      throw new UsageError(
        command.startsWith('-')
          ? `unknown option '${command}' before the command`
          : `unknown command '${command}'; the commands are ${Object.keys(COMMANDS).join(', ')}`,
      );
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(HELP[command]);
      return EXIT.ok;
    }
    await run(rest, io);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof UsageError) {
      const where = e.command ? `lowrank ${e.command}` : 'lowrank';
      io.stderr(`${where}: ${e.message}\nRun '${where} --help' for the options.\n`);
      return EXIT.usage;
    }
    const name = command && COMMANDS[command] ? `lowrank ${command}` : 'lowrank';
    io.stderr(`${name}: error: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.failure;
  }
}

/** The package's version, from its package.json (beside src/ and dist/). */
async function version(): Promise<string> {
  const json = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return json.version;
}
