// Writes one section of BENCHMARKS.md ("## <title> (<date>)" up to the next
// "## "), replacing an earlier run's section of the same title, or inserting
// it above the first section (the file lists the newest first).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BENCHMARKS_FILE = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));

export function writeBenchmarkSection(title: string, body: string, file = BENCHMARKS_FILE): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  const heading = `## ${title} (${new Date().toISOString().slice(0, 10)})`;
  const start = lines.findIndex((l) => l === `## ${title}` || l.startsWith(`## ${title} (`));
  let from: number;
  let to: number;
  if (start >= 0) {
    from = start;
    to = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (to < 0) to = lines.length;
  } else {
    from = lines.findIndex((l) => l.startsWith('## '));
    if (from < 0) from = lines.length;
    to = from;
  }
  const trim = (ls: string[]) => {
    let a = 0;
    let b = ls.length;
    while (a < b && ls[a].trim() === '') a++;
    while (b > a && ls[b - 1].trim() === '') b--;
    return ls.slice(a, b);
  };
  const before = trim(lines.slice(0, from));
  const after = trim(lines.slice(to));
  const out = [...before, '', heading, '', ...trim(body.split('\n')), ...(after.length ? ['', ...after] : [])];
  writeFileSync(file, out.join('\n') + '\n');
}
