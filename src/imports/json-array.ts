// The elements of a top-level JSON array, one at a time, from a stream of
// text: a small scanner that only tracks nesting and strings to find where
// each element starts and ends (JSON.parse does the parsing). An element
// larger than the limit is reported instead of buffered.

export interface Element {
  line: number;
  text: string;
  error?: string;
}

const MAX_ELEMENT = 64 * 1024 * 1024;

/**
 * Elements with their line, unique and increasing: elements that share a
 * line (an array written on one line, as most APIs write it) take the
 * numbers after it, so in a one-line file the number is the element's place.
 */
export async function* jsonArrayElements(chunks: AsyncIterable<string>): AsyncGenerator<Element> {
  let last = 0;
  for await (const el of scan(chunks)) {
    last = el.line > last ? el.line : last + 1;
    yield { ...el, line: last };
  }
}

async function* scan(chunks: AsyncIterable<string>): AsyncGenerator<Element> {
  let line = 1;
  let depth = 0; // 0 before '[', 1 inside the array, >1 inside an element
  let inString = false;
  let escaped = false;
  let started = false;
  let ended = false;
  let buf: string[] = [];
  let size = 0;
  let elLine = 0;
  let capturing = false;
  let tooLarge = false;
  const finish = (): Element | undefined => {
    if (!capturing) return undefined;
    capturing = false;
    const text = buf.join('').trim();
    buf = [];
    size = 0;
    if (tooLarge) {
      tooLarge = false;
      return { line: elLine, text: text.slice(0, 200), error: `the element is larger than ${MAX_ELEMENT} bytes` };
    }
    return text ? { line: elLine, text } : undefined;
  };
  for await (const chunk of chunks) {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (ch === '\n') line++;
      if (ended) {
        if (!/\s/.test(ch)) {
          yield { line, text: chunk.slice(i, i + 200), error: 'text after the end of the top-level array' };
          return;
        }
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (!started) {
        if (ch === '[') {
          started = true;
          depth = 1;
          from = i + 1;
        } else if (!/[\s\uFEFF]/.test(ch)) {
          yield { line, text: chunk.slice(i, i + 200), error: 'the file is not a JSON array' };
          return;
        }
        continue;
      }
      if (depth === 1 && (ch === ',' || ch === ']')) {
        if (capturing) buf.push(chunk.slice(from, i));
        const el = finish();
        if (el) yield el;
        else if (ch === ',') yield { line, text: ',', error: 'an empty element (two commas in a row)' };
        from = i + 1;
        if (ch === ']') {
          ended = true;
          depth = 0;
        }
        continue;
      }
      if (depth === 1 && !capturing && !/\s/.test(ch)) {
        capturing = true;
        elLine = line;
        from = i;
      }
      if (ch === '"') inString = true;
      else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') depth--;
    }
    if (capturing) {
      const piece = chunk.slice(from);
      size += piece.length;
      if (size > MAX_ELEMENT) tooLarge = true;
      else buf.push(piece);
    }
  }
  if (!started) yield { line, text: '', error: 'the file is not a JSON array' };
  else if (!ended) {
    const el = finish();
    yield { line: el?.line ?? line, text: el?.text.slice(0, 200) ?? '', error: 'the file ends before the array is closed' };
  }
}
