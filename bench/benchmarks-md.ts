// Writes one section of BENCHMARKS.md ("## <title> (<date>)" up to the next
// "## "), replacing an earlier run's section of the same title, or inserting
// it above the first section (the file lists the newest first).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BENCHMARKS_FILE = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));

export function writeBenchmarkSection(title: string, body: string, file = BENCHMARKS_FILE): void {
  const text = readFileSync(file, 'utf8');
  const heading = `## ${title} (${new Date().toISOString().slice(0, 10)})`;
  const section = `${heading}\n\n${body.trim()}\n\n`;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l === `## ${title}` || l.startsWith(`## ${title} (`));
  let out: string;
  if (start >= 0) {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end < 0) end = lines.length;
    out = [...lines.slice(0, start), ...section.split('\n').slice(0, -1), ...lines.slice(end)].join('\n');
  } else {
    const first = lines.findIndex((l) => l.startsWith('## '));
    const at = first < 0 ? lines.length : first;
    out = [...lines.slice(0, at), ...section.split('\n').slice(0, -1), ...lines.slice(at)].join('\n');
  }
  writeFileSync(file, out.endsWith('\n') ? out : out + '\n');
}
