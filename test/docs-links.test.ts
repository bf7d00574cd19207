// The repository's documentation stands on its own: every relative link in a tracked Markdown file
// resolves to a file (and, for a heading anchor, a heading) inside the repository, and no tracked
// text file points into a sibling directory of the checkout (a clone on its own has none).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Tracked files, repository-relative with forward slashes. */
function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)));
}

/** Markdown with its fenced code blocks blanked out. */
function withoutFences(markdown: string): string {
  const lines: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    const open = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && open) {
      fence = open[1]!;
      lines.push('');
    } else if (fence !== null) {
      if (line.trimStart().startsWith(fence)) fence = null;
      lines.push('');
    } else lines.push(line);
  }
  return lines.join('\n');
}

/** Markdown without code blocks and inline code spans (links there are examples, not links). */
const withoutCode = (markdown: string): string => withoutFences(markdown).replace(/(`+)[^`]*?\1/g, '');

/** Link targets of inline links and images `[text](target "title")` and of definitions `[id]: target`. */
export function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const targets: string[] = [];
  for (const m of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g)) {
    targets.push(m[1]!.replace(/^<|>$/g, ''));
  }
  for (const m of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*(\S+)/gm)) targets.push(m[1]!);
  return targets;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a Markdown file offers: its headings' slugs, numbered -1, -2 ... when repeated. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutFences(markdown).matchAll(/^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = headingSlug(m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

/** Problems with the relative links of `file` (its text: `source`), as 'target: why' strings. */
function brokenLinks(file: string, source = readFileSync(join(ROOT, file), 'utf8')): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(source)) {
    if (isExternal(target)) continue;
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const path = decodeURI(pathPart.split('?')[0]!);
    if (path === '') {
      if (anchor && !anchors(source).has(anchor.toLowerCase())) problems.push(`${target}: no heading '#${anchor}'`);
      continue;
    }
    const resolved = resolve(ROOT, dirname(file), path);
    if (relative(ROOT, resolved).split(sep)[0] === '..') {
      problems.push(`${target}: leaves the repository`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${target}: no such file`);
      continue;
    }
    if (anchor && resolved.endsWith('.md') && statSync(resolved).isFile()) {
      if (!anchors(readFileSync(resolved, 'utf8')).has(anchor.toLowerCase())) problems.push(`${target}: no heading '#${anchor}'`);
    }
  }
  return problems;
}

describe('documentation links', () => {
  const files = trackedFiles();
  const markdown = files.filter((f) => f.endsWith('.md'));

  it('finds the tracked Markdown files (README, docs/)', () => {
    expect(markdown).toContain('README.md');
    expect(markdown).toContain('docs/models.md');
    expect(markdown).toContain('docs/design.md');
  });

  it.each(markdown)('every relative link in %s resolves inside the repository', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('no tracked text file points into a sibling directory of the checkout', () => {
    // Built from pieces so this file does not match itself.
    const outside = new RegExp(['\\.\\.', 'shared'].join('/'));
    const offenders: string[] = [];
    for (const file of files) {
      const bytes = readFileSync(join(ROOT, file));
      if (bytes.length > 2_000_000 || bytes.includes(0)) continue; // binary or generated data
      bytes.toString('utf8').split('\n').forEach((line, i) => {
        if (outside.test(line)) offenders.push(`${file}:${i + 1}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('no source or documentation file recounts who worked on it when', () => {
    // Text describes the software and the machine (2-core, no GPU, load, date), not the work's history.
    const history = /\bsessions?\b/i;
    const offenders: string[] = [];
    for (const file of files.filter((f) => /\.(md|ts|mjs|wgsl)$/.test(f) && f !== 'test/docs-links.test.ts')) {
      readFileSync(join(ROOT, file), 'utf8').split('\n').forEach((line, i) => {
        if (history.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});

describe('the link checker itself', () => {
  it('reads inline links, images and definitions, and skips code', () => {
    const md = [
      'See [a](docs/a.md#part) and ![b](img/b.png "title") and [c](<with space.md>).',
      '`[not](inline-code.md)`',
      '```',
      '[not](fenced.md)',
      '```',
      '[ref]: ./ref.md',
    ].join('\n');
    expect(linkTargets(md)).toEqual(['docs/a.md#part', 'img/b.png', 'with space.md', './ref.md']);
  });

  it('makes GitHub heading anchors', () => {
    expect(headingSlug('On an NVIDIA GPU machine')).toBe('on-an-nvidia-gpu-machine');
    expect(headingSlug('Classical models (notes 002 §1)')).toBe('classical-models-notes-002-1');
    expect(headingSlug('`genlab train`: the CLI')).toBe('genlab-train-the-cli');
  });

  it('reports a missing file, a path out of the repository and a missing heading', () => {
    const probe = [
      '# Probe heading',
      '[ok](../README.md#quick-start) [self](#probe-heading) [web](https://example.org/x.md)',
      '[gone](missing.md) [out](../../outside.md) [anchor](../README.md#no-such-heading) [here](#nowhere)',
    ].join('\n');
    expect(brokenLinks('docs/probe.md', probe)).toEqual([
      'missing.md: no such file',
      '../../outside.md: leaves the repository',
      "../README.md#no-such-heading: no heading '#no-such-heading'",
      "#nowhere: no heading '#nowhere'",
    ]);
  });
});
