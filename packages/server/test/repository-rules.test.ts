import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(path).isDirectory() ? filesUnder(path, pattern) : pattern.test(name) ? [path] : [];
  });
}

const packages = readdirSync(join(root, 'packages'));
const sources = packages.flatMap((p) => filesUnder(join(root, 'packages', p, 'src'), /\.tsx?$/));

/** Lines of `files` matching `pattern`, as `path:line: text`. */
function offending(files: string[], pattern: RegExp): string[] {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('rules the architecture keeps', () => {
  it('reads no stored body by casting a parse: bodies go through typed repositories', () => {
    expect(sources.length).toBeGreaterThan(100);
    expect(offending(sources, /JSON\.parse\([^)]*\b(body|settings|roles|error)\)\s+as\b/)).toEqual([]);
  });

  it('has nothing but packages/cli import @berth/cli, test-support and examples included', () => {
    const everyTs = [
      ...packages.filter((p) => p !== 'cli').flatMap((p) => filesUnder(join(root, 'packages', p), /\.tsx?$/)),
      ...filesUnder(join(root, 'test-support'), /\.tsx?$/),
      ...filesUnder(join(root, 'examples'), /\.tsx?$/),
    ];
    expect(offending(everyTs, /from '@berth\/cli'|import\('@berth\/cli'\)/)).toEqual([]);
  });

  it('splits resource ids only in @berth/arm', () => {
    expect(
      offending(
        sources.filter((f) => !f.includes('/packages/arm/')),
        /\.id\)?\.split\('\/'\)|Id\.split\('\/'\)/,
      ),
    ).toEqual([]);
  });
});
