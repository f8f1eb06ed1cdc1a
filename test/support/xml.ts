/**
 * A strict reader of the small XML documents xprov writes (the JUnit report of
 * `xprov check`): it throws on anything that is not well-formed XML 1.0 (unbalanced
 * or crossed tags, a bare `<` or `&`, an unknown entity, a malformed or repeated
 * attribute, characters XML cannot carry, text outside the root) and returns the
 * element tree with entities decoded, for tests to query. No DTDs, comments,
 * CDATA or processing instructions but the XML declaration: xprov writes none.
 */

/** An element: its name, attributes, child elements and its own text, decoded. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const NAME = '[A-Za-z_][\\w.-]*';
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Whether every code point of `text` is one XML 1.0 can carry (its Char production). */
function allXmlChars(text: string): boolean {
  return [...text].every((char) => {
    const code = char.codePointAt(0) ?? 0;
    return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000;
  });
}

function decode(raw: string, where: string): string {
  if (!allXmlChars(raw)) throw new Error(`${where}: a character XML cannot carry`);
  return raw.replace(/&([^;]*);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`${where}: a bare &`);
    const char = /^#\d+$/.test(ref)
      ? String.fromCodePoint(Number(ref.slice(1)))
      : /^#x[0-9a-f]+$/i.test(ref)
        ? String.fromCodePoint(Number.parseInt(ref.slice(2), 16))
        : ENTITIES[ref];
    if (char === undefined) throw new Error(`${where}: unknown entity ${whole}`);
    return char;
  });
}

function parseAttributes(raw: string, where: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  const rest = raw.replace(new RegExp(`\\s+(${NAME})="([^"<]*)"`, 'g'), (_whole, name: string, value: string) => {
    if (Object.hasOwn(attributes, name)) throw new Error(`${where}: attribute ${name} repeated`);
    // Attribute-value normalisation: literal white space becomes a space, references stay.
    attributes[name] = decode(value.replace(/[\t\n\r]/g, ' '), where);
    return '';
  });
  if (rest.trim() !== '') throw new Error(`${where}: malformed attributes ${JSON.stringify(rest)}`);
  return attributes;
}

/** Parses `document`; throws naming the first problem. */
export function parseXml(document: string): XmlElement {
  const body = document.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n?/, '');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const tag = new RegExp(`<(/?)(${NAME})((?:\\s+${NAME}="[^"<]*")*)\\s*(/?)>|<`, 'g');
  let last = 0;
  for (let match = tag.exec(body); match !== null; match = tag.exec(body)) {
    const text = body.slice(last, match.index);
    const current = stack.at(-1);
    if (current === undefined ? text.trim() !== '' : false) throw new Error(`text outside the root at ${match.index}`);
    if (current !== undefined) current.text += decode(text, `text at ${match.index}`);
    last = tag.lastIndex;
    const [whole, closing, name, attrs, selfClosing] = match;
    if (name === undefined) throw new Error(`a bare < or a malformed tag at ${match.index}: ${JSON.stringify(body.slice(match.index, match.index + 40))}`);
    if (closing === '/') {
      if (stack.pop()?.name !== name || attrs !== '' || selfClosing === '/') throw new Error(`${whole} does not close the open element`);
      continue;
    }
    if (root !== undefined && stack.length === 0) throw new Error(`a second root ${name}`);
    const element: XmlElement = { name, attributes: parseAttributes(attrs ?? '', `<${name}>`), children: [], text: '' };
    current?.children.push(element);
    root ??= element;
    if (selfClosing !== '/') stack.push(element);
  }
  if (body.slice(last).trim() !== '') throw new Error('text after the root');
  if (root === undefined || stack.length > 0) throw new Error('no root, or an element left open');
  return root;
}
