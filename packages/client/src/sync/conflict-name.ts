/**
 * Where the local side of a conflict is kept: beside the file, named
 * `NAME (conflict YYYY-MM-DD HHMMSS).EXT` (UTC), so it sorts next to the
 * original and says when. The extension stays last so the copy still opens
 * with the same application; a dot-file (`.bashrc`) has no extension.
 */
import { parentOf } from './entries';

export function conflictName(path: string, now: Date, taken: (path: string) => boolean = () => false): string {
  const dir = parentOf(path);
  const base = dir === '' ? path : path.slice(dir.length + 1);
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  const iso = now.toISOString(); // 2026-12-02T07:40:46.123Z
  const stamp = `${iso.slice(0, 10)} ${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  // Two conflicts of one file in the same second: number the later ones (bounded; a name is always found).
  for (let n = 1; n < 1000; n++) {
    const name = `${stem} (conflict ${stamp}${n === 1 ? '' : ` ${n}`})${ext}`;
    const candidate = dir === '' ? name : `${dir}/${name}`;
    if (!taken(candidate)) return candidate;
  }
  throw new Error(`davsync: no free conflict name for ${path}`);
}
