import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { findJsonSyntaxError } from './json-syntax.ts';
import { toSpecIssue, type RawIssue, type SpecIssue, type SpecResult } from './issues.ts';
import type { WorkflowDocument } from './schema.ts';
import { collectIssues } from './validate.ts';

/** Source formats `parseWorkflowSource` reads. */
export type WorkflowSourceFormat = 'json' | 'yaml';

type Position = { line: number; column: number };

const fail = (issues: SpecIssue[]): SpecResult<WorkflowDocument> => ({ ok: false, issues });

/**
 * Parses a workflow from JSON or YAML text and validates it like
 * `validateWorkflowDocument`. Syntax errors and every validation issue carry the 1-based
 * `line`/`column` of the offending field (of its parent object when the field is missing).
 * YAML is read as a single YAML 1.2 document; duplicate keys are an error in both formats.
 */
export function parseWorkflowSource(text: string, format: WorkflowSourceFormat): SpecResult<WorkflowDocument> {
  const lineCounter = new LineCounter();
  let value: unknown;
  let doc: Document.Parsed;

  if (format === 'json') {
    const syntax = findJsonSyntaxError(text);
    if (syntax) return fail([{ path: '', pointer: '', message: `JSON syntax error: ${syntax.message}`, ...positionAt(text, syntax.offset) }]);
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
    // Valid JSON is valid YAML: the YAML tree serves only to locate issues.
    doc = parseDocument(text, { lineCounter, prettyErrors: false });
  } else {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      return fail(
        doc.errors.map((e) => {
          const { line, col } = lineCounter.linePos(e.pos[0]);
          const message = e.code === 'MULTIPLE_DOCS' ? 'a workflow file holds a single YAML document; found a second "---" document' : e.message;
          return { path: '', pointer: '', message: `YAML syntax error: ${message}`, line, column: col };
        }),
      );
    }
    if (doc.contents === null) return fail([{ path: '', pointer: '', message: 'the document is empty; expected a workflow object', line: 1, column: 1 }]);
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // Unresolvable aliases or alias expansion past the limit (a "billion laughs" document).
      return fail([{ path: '', pointer: '', message: `YAML error: ${(err as Error).message}`, line: 1, column: 1 }]);
    }
  }

  const { document, issues } = collectIssues(value);
  if (document) return { ok: true, document };
  return fail(issues.map((issue) => toSpecIssue(issue, locate(doc, issue, lineCounter))));
}

function positionAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Walks the YAML tree along the issue's path as far as it exists and returns the start
 * of the deepest node reached, so a missing field lands on its parent object. Unknown
 * keys (`at: 'key'`) land on the key itself.
 */
function locate(doc: Document.Parsed, issue: RawIssue, lineCounter: LineCounter): Position | undefined {
  const pos = (n: YamlNode | null | undefined): Position | undefined => {
    if (!n?.range) return undefined;
    const { line, col } = lineCounter.linePos(n.range[0]);
    return { line, column: col };
  };
  let node = doc.contents as YamlNode | null;
  let best = pos(node);
  for (const [i, seg] of issue.path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const key = pair.key as YamlNode;
      const val = pair.value as YamlNode | null;
      // An empty value (`name:`) has a zero-width range at the end of the line; the key is clearer.
      if ((i === issue.path.length - 1 && issue.at === 'key') || !val?.range || val.range[0] === val.range[1]) return pos(key) ?? best;
      node = val;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg] as YamlNode;
    } else break;
    best = pos(node) ?? best;
  }
  return best;
}
