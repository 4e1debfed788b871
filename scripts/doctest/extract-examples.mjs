// Finds the fenced TypeScript/JavaScript blocks of the repository's Markdown and reads how each
// is marked (docs/development.md, "Examples in the docs"):
//   ```ts runnable services=postgres,redis timeout=90s   extracted, type-checked and run
//   ```ts typecheck                                       extracted and type-checked only
//   ```ts fragment                                        left alone (a piece of a larger program)
// An unmarked block is an error, so every new README is covered without editing this script.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Languages whose blocks must be marked. */
const LANGUAGES = new Map([
  ['ts', 'ts'],
  ['typescript', 'ts'],
  ['tsx', 'ts'],
  ['mts', 'ts'],
  ['js', 'js'],
  ['javascript', 'js'],
  ['mjs', 'js'],
  ['jsx', 'js'],
]);
const KINDS = new Set(['runnable', 'typecheck', 'fragment']);
/** Services a runnable example may ask for; the runner provides each as an env URL. */
export const SERVICES = new Set(['postgres', 'redis', 'nats', 'clickhouse']);

/** The Markdown files whose examples are checked: every README and everything under docs/. */
export function markdownFiles(root) {
  const files = [join(root, 'README.md')];
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const readme = join(dir, name, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) files.push(path);
    }
  };
  if (existsSync(join(root, 'docs'))) walk(join(root, 'docs'));
  return files.filter((file) => existsSync(file));
}

/**
 * Every TS/JS block of `files`: `{ file, line, lang, kind, services, timeoutMs, code, slug }`
 * (`line` is the line of the opening fence, 1-based), plus the marking mistakes found.
 */
export function extractExamples(root, files = markdownFiles(root)) {
  const examples = [];
  const errors = [];
  for (const path of files) {
    const file = relative(root, path);
    const lines = readFileSync(path, 'utf8').split('\n');
    for (let index = 0; index < lines.length; index += 1) {
      const open = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[index]);
      if (open === null) continue;
      const [, indent, fence, info] = open;
      const end = lines.findIndex(
        (text, at) =>
          at > index && text.trim().startsWith(fence) && text.trim().replace(/[`~]/g, '') === '',
      );
      const close = end === -1 ? lines.length : end;
      const words = info.trim().split(/\s+/).filter(Boolean);
      const lang = LANGUAGES.get((words[0] ?? '').toLowerCase());
      const startLine = index + 1;
      index = close;
      if (lang === undefined) continue;
      const where = `${file}:${String(startLine)}`;
      const kinds = words.slice(1).filter((word) => KINDS.has(word));
      if (kinds.length !== 1) {
        errors.push(
          `${where}: mark this \`${words[0]}\` block with exactly one of runnable, typecheck or fragment (e.g. \`\`\`${words[0]} runnable services=postgres)`,
        );
        continue;
      }
      const example = {
        file,
        line: startLine,
        lang,
        kind: kinds[0],
        services: [],
        timeoutMs: 60_000,
        code: lines
          .slice(startLine, close)
          .map((text) => (text.startsWith(indent) ? text.slice(indent.length) : text))
          .join('\n'),
        slug: `${file.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-')}-L${String(startLine)}`.replace(
          /^-/,
          '',
        ),
      };
      for (const word of words.slice(1)) {
        if (KINDS.has(word)) continue;
        const [key, value = ''] = word.split('=');
        if (key === 'services') {
          example.services = value.split(',').filter(Boolean);
          const unknown = example.services.filter((service) => !SERVICES.has(service));
          if (unknown.length > 0) {
            errors.push(
              `${where}: unknown service ${unknown.join(', ')} (known: ${[...SERVICES].join(', ')}; Elasticsearch examples are marked typecheck)`,
            );
          }
        } else if (key === 'timeout' && /^\d+s$/.test(value)) {
          example.timeoutMs = Number(value.slice(0, -1)) * 1000;
        } else {
          errors.push(
            `${where}: unknown marker ${JSON.stringify(word)} (known: services=…, timeout=Ns)`,
          );
        }
      }
      if (/\bawait\s+using\b/.test(example.code)) {
        errors.push(
          `${where}: \`await using\` is not JavaScript on Node 20: use try { … } finally { await x.close() } in examples`,
        );
      }
      examples.push(example);
    }
  }
  return { examples, errors };
}
