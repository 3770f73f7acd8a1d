/**
 * Every relative markdown link in README.md and docs/*.md points to a file of this repository
 * (and, with a #fragment into a markdown file, to one of its headings). The README ships in the
 * npm package, so it must not point outside the repository (../shared/ is not in the package).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The text outside fenced code blocks, where links are links. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -1 on repeats. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** The relative links of one markdown file that do not resolve, each with why. */
function brokenLinks(file: string, root: string): string[] {
  const text = readFileSync(file, 'utf8');
  const broken: string[] = [];
  for (const m of prose(text).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const link = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
    const [path, fragment] = link.split('#', 2);
    const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    if (relative(root, target).startsWith('..')) broken.push(`${link}: outside the repository`);
    else if (!existsSync(target)) broken.push(`${link}: no such file`);
    else if (fragment && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(fragment))
      broken.push(`${link}: no heading #${fragment} in ${relative(root, target)}`);
  }
  return broken;
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f));
  return [join(ROOT, 'README.md'), ...docs];
}

test('the checker reports missing files, missing headings and links outside the repository', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmrace-links-'));
  writeFileSync(join(root, 'a.md'), '# Title\n\n## Two `words`, here\n');
  writeFileSync(join(root, 'b.md'), [
    '[ok](a.md) [ok](a.md#two-words-here) [ok](#local) [web](https://example.com/x.md)',
    '[gone](missing.md) [bad anchor](a.md#nope) [out](../shared/DESIGN.md)',
    '```', '[in code](not-a-link.md)', '```', '## Local', '',
  ].join('\n'));
  assert.deepEqual(brokenLinks(join(root, 'b.md'), root), [
    'missing.md: no such file',
    'a.md#nope: no heading #nope in a.md',
    '../shared/DESIGN.md: outside the repository',
  ]);
});

test('every relative link in README.md and docs/*.md resolves', () => {
  const files = markdownFiles();
  assert.ok(files.length > 5, `found only ${files.join(', ')}`);
  const broken = files.flatMap((f) => brokenLinks(f, ROOT).map((b) => `${relative(ROOT, f)}: ${b}`));
  assert.deepEqual(broken, []);
});

test('the README does not point to ../shared/, which a package user does not have', () => {
  assert.doesNotMatch(readFileSync(join(ROOT, 'README.md'), 'utf8'), /\.\.\/shared\//);
});
