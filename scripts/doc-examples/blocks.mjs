// The code blocks of one Markdown file, as the doc-examples contract reads them: fenced blocks
// (``` or ~~~, CommonMark's rules for opening and closing), with the line of their opening fence
// so that an error inside a block can point back at the Markdown.

/** Info words a ```ts block may carry after `ts`. */
export const KNOWN_WORDS = new Set(['run']);

// Languages that are TypeScript or JavaScript under another name: the contract asks for ```ts,
// so that no example escapes the type-check by its fence.
const OTHER_SCRIPT_LANGS = new Set([
  'typescript',
  'js',
  'javascript',
  'mjs',
  'cjs',
  'mts',
  'cts',
  'jsx',
  'tsx',
]);

/**
 * Every fenced code block of `text`, in order.
 * @param {string} text Markdown source.
 * @returns {{ line: number, lang: string, words: string[], code: string }[]} `line` is the
 *   1-based line of the opening fence; the block's first code line is `line + 1`.
 */
export function fencedBlocks(text) {
  const lines = text.split(/\r?\n/);
  const blocks = [];
  let open;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (open === undefined) {
      const m = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(line);
      // A backtick fence's info string cannot hold a backtick (that is inline code).
      if (m === null || (m[2][0] === '`' && m[3].includes('`'))) continue;
      const [lang = '', ...words] = m[3].trim().split(/\s+/).filter(Boolean);
      open = { line: i + 1, indent: m[1].length, fence: m[2], lang, words, code: [] };
      continue;
    }
    const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    if (close !== null && close[1][0] === open.fence[0] && close[1].length >= open.fence.length) {
      blocks.push(finish(open));
      open = undefined;
      continue;
    }
    // Content lines lose at most the opening fence's indentation (CommonMark).
    let strip = 0;
    while (strip < open.indent && line[strip] === ' ') strip += 1;
    open.code.push(line.slice(strip));
  }
  // An unclosed fence runs to the end of the document (CommonMark).
  if (open !== undefined) blocks.push(finish(open));
  return blocks;
}

function finish(open) {
  return {
    line: open.line,
    lang: open.lang.toLowerCase(),
    words: open.words,
    code: `${open.code.join('\n')}\n`,
  };
}

/**
 * The blocks the contract checks: every ```ts block (`run` when its fence says so), and an
 * `error` for a ```ts block with an unknown info word or a script block under another name.
 * @param {string} text Markdown source.
 */
export function exampleBlocks(text) {
  const out = [];
  for (const block of fencedBlocks(text)) {
    if (block.lang === 'ts') {
      const unknown = block.words.filter((word) => !KNOWN_WORDS.has(word));
      out.push({
        line: block.line,
        code: block.code,
        run: block.words.includes('run'),
        error:
          unknown.length > 0
            ? `unknown info word ${unknown.map((w) => `"${w}"`).join(', ')} after \`\`\`ts (known: ${[...KNOWN_WORDS].join(', ')})`
            : undefined,
      });
    } else if (OTHER_SCRIPT_LANGS.has(block.lang)) {
      out.push({
        line: block.line,
        code: block.code,
        run: false,
        error: `\`\`\`${block.lang} block: write TypeScript and JavaScript examples as \`\`\`ts (or \`\`\`ts run) so they are checked`,
      });
    }
  }
  return out;
}
