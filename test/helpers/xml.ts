// A strict little XML reader for the SVG the tests check: elements, attributes, text, comments, the XML declaration
// and the five named and numeric character references; anything else that is not well-formed throws (a '<' or '&'
// in text, a tag closed out of order, an attribute without quotes, a second root). Enough to prove escaping works.
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** the text directly inside, references decoded */
  text: string;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NAME = '[A-Za-z_:][-A-Za-z0-9_:.]*';

function decode(text: string, where: number): string {
  if (/<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) throw new Error(`a bare < or & near offset ${where}: ${JSON.stringify(text.slice(0, 60))}`);
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_m, ref: string) =>
    ref.startsWith('#x') ? String.fromCodePoint(parseInt(ref.slice(2), 16)) : ref.startsWith('#') ? String.fromCodePoint(Number(ref.slice(1))) : NAMED[ref]);
}

export function parseXml(source: string): XmlElement {
  const token = new RegExp(`<\\?xml[^?]*\\?>|<!--[\\s\\S]*?-->|<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>|<|[^<]+`, 'y');
  const attribute = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  for (let match = token.exec(source); match !== null; match = token.exec(source)) {
    const [whole, closing, name, attributes, selfClosing] = match;
    if (whole === '<') throw new Error(`a malformed tag at offset ${match.index}: ${JSON.stringify(source.slice(match.index, match.index + 60))}`);
    if (whole.startsWith('<?') || whole.startsWith('<!--')) continue;
    if (name === undefined) {
      if (stack.length === 0) {
        if (whole.trim() !== '') throw new Error(`text outside the root element at offset ${match.index}`);
        continue;
      }
      stack[stack.length - 1].text += decode(whole, match.index);
      continue;
    }
    if (closing === '/') {
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name}> at offset ${match.index}`);
      continue;
    }
    const element: XmlElement = { name, attributes: {}, children: [], text: '' };
    for (const [, key, double, single] of (attributes ?? '').matchAll(attribute)) {
      if (key in element.attributes) throw new Error(`attribute ${key} twice at offset ${match.index}`);
      element.attributes[key] = decode(double ?? single, match.index);
    }
    if (stack.length > 0) stack[stack.length - 1].children.push(element);
    else if (root === undefined) root = element;
    else throw new Error(`a second root element at offset ${match.index}`);
    if (selfClosing !== '/') stack.push(element);
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1].name}> is never closed`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/** Every element of the tree, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(allElements)];
}
