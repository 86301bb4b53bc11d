/**
 * Crash-safe file writes and readable JSON reads. A write goes to a temporary file in the target's own folder,
 * is fsynced, then renamed over the target, so `path` holds either its old contents or the new ones, never a part.
 */

import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** What {@link writeFileAtomic} accepts: text (written as UTF-8) or bytes. */
export type FileData = string | Uint8Array;

function tempPathFor(target: string): string {
  // NOTE: same folder as the target, so the final rename never crosses a file system (rename is atomic only
  // within one). The leading dot keeps half-written files out of directory listings that skip hidden files.
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return e?.message ?? String(err);
  }
}

function syncFolderSync(dir: string): void {
  // NOTE: fsync on the folder makes the rename itself durable on Linux. Some platforms (Windows) cannot open a
  // folder for this; the file's contents are already synced, so a failure here is not an error.
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Fsyncs a folder, so that files created or renamed in it survive a crash. Best effort: platforms that cannot
 * open a folder (Windows) are skipped silently.
 */
export async function syncFolder(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    /* best effort, see syncFolderSync */
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `data` to `file` atomically: a temporary file in the same folder is written, fsynced and renamed over
 * `file`. Parent folders are created. On any failure the temporary file is removed and `file` is untouched.
 *
 * @example
 * await writeFileAtomic('runs/a/checkpoint.json', JSON.stringify(state));
 */
export async function writeFileAtomic(file: string, data: FileData): Promise<void> {
  const dir = path.dirname(file);
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new Error(`${file}: cannot create the folder ${dir}: ${describeFsError(err)}.`);
  }
  const tmp = tempPathFor(file);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, file);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(`${file}: cannot write the file: ${describeFsError(err)}.`);
  }
  await syncFolder(dir);
}

/**
 * Writes `data` to a NEW file and fsyncs it, without the temporary file and rename of {@link writeFileAtomic}.
 * Meant for files inside a staging folder that is renamed into place as a whole once complete (call
 * {@link syncFolder} on the folders before that rename). Fails if `file` exists. Parent folders are created.
 */
export async function writeFileSynced(file: string, data: FileData): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    handle = await fsp.open(file, 'wx');
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    throw new Error(`${file}: cannot write the file: ${describeFsError(err)}.`);
  } finally {
    await handle?.close();
  }
}

/** The synchronous form of {@link writeFileAtomic}, with the same guarantees. */
export function writeFileAtomicSync(file: string, data: FileData): void {
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new Error(`${file}: cannot create the folder ${dir}: ${describeFsError(err)}.`);
  }
  const tmp = tempPathFor(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    fs.rmSync(tmp, { force: true });
    throw new Error(`${file}: cannot write the file: ${describeFsError(err)}.`);
  }
  syncFolderSync(dir);
}

/** The 1-based line and column of a 0-based character offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * The offset of the first JSON syntax error in `text`, found by a small scanner of the JSON grammar. Used only
 * after JSON.parse failed, because V8's messages do not always carry a position ("Unexpected token 'x'").
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n && ' \t\n\r'.includes(text[i])) i++;
  };
  // Each parser returns true on success with `i` past the value, or false with `i` at the offending character.
  const literal = (word: string): boolean => {
    for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) return false;
    return true;
  };
  const string = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) return (i += k), false;
          i += 5;
        } else if (i < n && '"\\/bfnrt'.includes(text[i])) i++;
        else return false;
      } else i++;
    }
    return false;
  };
  const number = (): boolean => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '-' || m[0] === '') return false;
    i += m[0].length;
    return true;
  };
  const value = (depth: number): boolean => {
    ws();
    if (depth > 10000) return false;
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return i++, true;
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"' || !string()) return false;
          ws();
          if (text[i] !== ':') return false;
          i++;
        }
        if (!value(depth + 1)) return false;
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) return i++, true;
        else return false;
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    return number();
  };
  if (!value(0)) return i;
  ws();
  return i;
}

/**
 * Parses JSON text, turning a syntax error into a sentence that names `file`, `what` it should hold, and the
 * line and column of the problem.
 */
export function parseJson(text: string, file: string, what: string): unknown {
  // NOTE: a UTF-8 byte-order mark is legal in files written by some Windows editors; JSON.parse rejects it.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    const message = (err as Error).message;
    const where = lineAndColumn(body, jsonErrorOffset(body));
    // Keep V8's reason, without its position or its quoted snippet of the source.
    const reason = message
      .replace(/ at position \d+.*$/s, '')
      .replace(/, (\.\.\.)?".*$/s, '')
      .replace(/ in JSON$/, '');
    throw new Error(`${file}: the ${what} is not valid JSON: ${reason} at line ${where.line}, column ${where.column}.`);
  }
}

/**
 * Reads and parses a JSON file synchronously. `what` says what the file holds ("dataset description",
 * "checkpoint") and appears in the errors: a missing file, a folder in its place, or invalid JSON (with the
 * line and column). The result is `unknown`: callers validate its shape.
 *
 * @example
 * const meta = readJson('data/m2nist/dataset.json', 'dataset description');
 */
export function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${file}: the ${what} file is missing.`);
    throw new Error(`${file}: cannot read the ${what}: ${describeFsError(err)}.`);
  }
  return parseJson(text, file, what);
}
