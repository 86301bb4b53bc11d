import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  jsonErrorOffset,
  lineAndColumn,
  parseJson,
  readJson,
  writeFileAtomic,
  writeFileAtomicSync,
  writeFileSynced,
} from '../../src/io/atomic.js';
import { removeTempDirs, tempDir } from '../data/helpers.js';

afterEach(removeTempDirs);

const variants = [
  ['writeFileAtomic', writeFileAtomic],
  ['writeFileAtomicSync', async (f: string, d: string | Uint8Array) => writeFileAtomicSync(f, d)],
] as const;

describe.each(variants)('%s', (_name, write) => {
  it('creates parent folders and writes text and bytes', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a', 'b', 'c.json');
    await write(file, '{"x":1}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"x":1}');
    await write(path.join(dir, 'bytes.bin'), Uint8Array.of(1, 2, 250));
    expect([...fs.readFileSync(path.join(dir, 'bytes.bin'))]).toEqual([1, 2, 250]);
  });

  it('replaces an existing file and leaves no temporary file behind', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.json');
    await write(file, 'old');
    await write(file, 'new contents');
    expect(fs.readFileSync(file, 'utf8')).toBe('new contents');
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });

  it('on failure leaves the target as it was, removes its temporary file, and names the file', async () => {
    const dir = tempDir();
    // A non-empty folder in the target's place: the final rename fails.
    const target = path.join(dir, 'taken');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside.txt'), 'keep');
    await expect(write(target, 'data')).rejects.toThrow(`${target}: cannot write the file`);
    expect(fs.readdirSync(dir)).toEqual(['taken']);
    expect(fs.readFileSync(path.join(target, 'inside.txt'), 'utf8')).toBe('keep');
  });

  it('names the file when its folder cannot be created', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    const file = path.join(dir, 'plain', 'sub', 'f.txt');
    await expect(write(file, 'data')).rejects.toThrow(`${file}: cannot create the folder`);
  });
});

describe('writeFileSynced', () => {
  it('writes a new file and refuses to overwrite one', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'x', 'f.png');
    await writeFileSynced(file, Uint8Array.of(9));
    expect([...fs.readFileSync(file)]).toEqual([9]);
    await expect(writeFileSynced(file, 'again')).rejects.toThrow(`${file}: cannot write the file`);
  });
});

describe('readJson', () => {
  it('parses a file, with or without a byte-order mark', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.json'), '{"classes": ["a"]}');
    fs.writeFileSync(path.join(dir, 'b.json'), '\ufeff[1, 2]');
    expect(readJson(path.join(dir, 'a.json'), 'dataset description')).toEqual({ classes: ['a'] });
    expect(readJson(path.join(dir, 'b.json'), 'list')).toEqual([1, 2]);
  });

  it('says which file is missing and what it should hold', () => {
    const file = path.join(tempDir(), 'dataset.json');
    expect(() => readJson(file, 'dataset description')).toThrow(`${file}: the dataset description file is missing.`);
  });

  it('names a folder in the file’s place', () => {
    const dir = tempDir();
    expect(() => readJson(dir, 'checkpoint')).toThrow(`${dir}: cannot read the checkpoint: it is a folder, not a file.`);
  });

  it('gives the line and column of invalid JSON', () => {
    const dir = tempDir();
    const file = path.join(dir, 'dataset.json');
    fs.writeFileSync(file, '{\n  "classes": ["a", "b"],\n  "palette": [[1, 2, 3], x]\n}\n');
    expect(() => readJson(file, 'dataset description')).toThrow(
      `${file}: the dataset description is not valid JSON: Unexpected token 'x' at line 3, column 26.`,
    );
  });

  it.each([
    ['{"a": 1,}', 1, 9],
    ['{"a": 1', 1, 8],
    ['[1, 2]\n]', 2, 1],
    ['{"a":\n  "b\nc"}', 2, 5],
    ['', 1, 1],
    ['[1, 2, tru]', 1, 11],
  ])('locates the error in %j at line %i, column %i', (text, line, column) => {
    expect(() => parseJson(text, 'f.json', 'thing')).toThrow(`at line ${line}, column ${column}.`);
    expect(lineAndColumn(text, jsonErrorOffset(text))).toEqual({ line, column });
  });
});
