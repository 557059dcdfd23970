import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SpecIssue } from './issues.ts';
import { parseWorkflowSource, type WorkflowSourceFormat } from './parse.ts';

/**
 * `orvanta validate FILE...`: parses and validates workflow documents (JSON or YAML) the
 * way the console does. Exit status: 0 all valid, 1 some document has issues, 2 a file
 * could not be read or the command line is wrong.
 */

const USAGE = `usage: orvanta validate FILE...

Checks Orvanta workflow documents (.json, .yaml or .yml) and prints
  FILE: valid (N nodes, M edges)
or one line per issue
  FILE:LINE:COLUMN: path: message
Exit status: 0 valid, 1 issues found, 2 unreadable file or bad usage.`;

export type CliOutput = { out: (line: string) => void; err: (line: string) => void };

/** `.json` is JSON, `.yaml`/`.yml` YAML; anything else is JSON when it starts with `{` or `[`. */
export function formatOf(file: string, text: string): WorkflowSourceFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return /^\uFEFF?\s*[{[]/.test(text) ? 'json' : 'yaml';
}

/** One issue as `FILE:LINE:COLUMN: path: message`; the path is left out for the document itself. */
export function formatIssue(file: string, issue: SpecIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return `${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

function readError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (err as Error)?.message ?? String(err);
}

/** Runs the command line `args` (without `node` and the script); resolves to the exit status. */
export async function runCli(args: string[], output: CliOutput): Promise<number> {
  const [command, ...files] = args;
  if (command === 'help' || command === '--help' || command === '-h') {
    output.out(USAGE);
    return 0;
  }
  if (command !== 'validate' || files.length === 0) {
    output.err(command === undefined || command === 'validate' ? USAGE : `orvanta: unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return 2;
  }
  let status = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      output.err(`orvanta: cannot read ${file}: ${readError(err)}`);
      status = 2;
      continue;
    }
    const result = parseWorkflowSource(text, formatOf(file, text));
    if (result.ok) {
      output.out(`${file}: valid (${result.document.nodes.length} nodes, ${result.document.edges.length} edges)`);
    } else {
      for (const issue of result.issues) output.out(formatIssue(file, issue));
      status = Math.max(status, 1);
    }
  }
  return status;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const status = await runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
  });
  process.exitCode = status;
}
