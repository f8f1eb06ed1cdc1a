/**
 * Checks the relative links of Markdown documents the way GitHub renders them: the
 * file or directory a link names must exist in the repository, and an anchor
 * (`#section` or `other.md#section`) must be the slug of a heading of that document.
 * Links in code (fenced blocks, inline code) are not links; links with a scheme
 * (https:, mailto:) are not checked.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A link that does not resolve. */
export interface BrokenLink {
  /** The document, relative to the root. */
  readonly file: string;
  /** 1-based line of the link. */
  readonly line: number;
  readonly target: string;
  readonly problem: string;
}

/** A Markdown document's lines with fenced code blocks blanked (kept as empty lines, so numbering holds). */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) {
        fence = undefined;
      }
      return '';
    }
    return line;
  });
}

/** A heading's text as GitHub slugs it: lower case, punctuation dropped, spaces made hyphens. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link or image counts by its text
    .replace(/<[^>]*>/g, '') // as does inline HTML
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

/** The anchors GitHub gives a document's headings (a repeated slug gets -1, -2, ...). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Every link target of a document outside code, with its line. */
export function linkTargets(markdown: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  proseLines(markdown).forEach((raw, i) => {
    const line = raw.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length));
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ line: i + 1, target: match[1] ?? '' });
    }
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(line)?.[1];
    if (definition !== undefined) found.push({ line: i + 1, target: definition });
  });
  return found;
}

/** The links of `files` (paths relative to `root`) that do not resolve. */
export function brokenLinks(root: string, files: readonly string[]): BrokenLink[] {
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (file: string): Set<string> => {
    let set = anchorsOf.get(file);
    if (set === undefined) {
      set = headingAnchors(readFileSync(file, 'utf8'));
      anchorsOf.set(file, set);
    }
    return set;
  };
  const broken: BrokenLink[] = [];
  for (const file of files) {
    const absolute = path.join(root, file);
    for (const { line, target } of linkTargets(readFileSync(absolute, 'utf8'))) {
      if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(target)) continue;
      const hash = target.indexOf('#');
      const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const resolved = pathPart === '' ? absolute : path.resolve(path.dirname(absolute), pathPart);
      const problem = (() => {
        if (path.relative(root, resolved).startsWith('..') || path.isAbsolute(pathPart)) return 'points outside the repository';
        if (!existsSync(resolved)) return `${path.relative(root, resolved)} does not exist`;
        if (anchor === undefined) return undefined;
        if (!resolved.endsWith('.md')) return 'has an anchor on a file that is not Markdown';
        return anchors(resolved).has(anchor) ? undefined : `${path.relative(root, resolved)} has no heading #${anchor}`;
      })();
      if (problem !== undefined) broken.push({ file, line, target, problem });
    }
  }
  return broken;
}
