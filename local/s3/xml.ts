/**
 * The XML of S3's REST API: documents written in the shape S3 documents (namespace, element order),
 * and the few small request bodies S3 takes (CreateBucketConfiguration, VersioningConfiguration,
 * Delete, CompleteMultipartUpload) read into a plain element tree. No DTDs, no processing
 * instructions besides the declaration: what S3 itself refuses as MalformedXML is refused here.
 */
import { S3Error } from './errors.ts';

export type XmlValue = string | number | boolean | Date | undefined | XmlChild[];
/** One element: its name and its text or child elements (undefined = left out). */
export type XmlChild = readonly [name: string, value: XmlValue];

const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

function render(children: readonly XmlChild[]): string {
  let out = '';
  for (const [name, value] of children) {
    if (value === undefined) continue;
    let inner: string;
    if (Array.isArray(value)) inner = render(value);
    else if (value instanceof Date) inner = value.toISOString();
    else inner = escapeXml(String(value));
    out += `<${name}>${inner}</${name}>`;
  }
  return out;
}

export function xmlDocument(root: string, children: readonly XmlChild[], namespace = true): string {
  const xmlns = namespace ? ` xmlns="${NAMESPACE}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${xmlns}>${render(children)}</${root}>`;
}

export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (_whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    const known = ENTITIES[entity];
    if (known === undefined) throw malformed();
    return known;
  });
}

const malformed = () =>
  new S3Error(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );

/** Parses one XML document into its root element; anything not well-formed is MalformedXML. */
export function parseXml(source: string): XmlElement {
  let at = 0;
  const skipSpace = () => {
    while (at < source.length && /\s/.test(source[at] ?? '')) at++;
  };
  skipSpace();
  if (source.startsWith('<?xml', at)) {
    const end = source.indexOf('?>', at);
    if (end < 0) throw malformed();
    at = end + 2;
  }
  // Sticky expressions match at `at` without copying the rest of the document.
  const OPEN = /<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
  const CLOSE = /<\/([A-Za-z_][\w.:-]*)\s*>/y;
  const element = (depth: number): XmlElement => {
    // S3's request documents are a few levels deep; a deeper one is not one of them.
    if (depth > 16) throw malformed();
    OPEN.lastIndex = at;
    const open = OPEN.exec(source);
    if (!open) throw malformed();
    at += open[0].length;
    const name = (open[1] ?? '').replace(/^[\w.-]+:/, '');
    const node: XmlElement = { name, children: [], text: '' };
    if (open[3] === '/') return node;
    for (;;) {
      const next = source.indexOf('<', at);
      if (next < 0) throw malformed();
      node.text += unescapeXml(source.slice(at, next));
      at = next;
      if (source.startsWith('</', at)) {
        CLOSE.lastIndex = at;
        const close = CLOSE.exec(source);
        if (!close || (close[1] ?? '').replace(/^[\w.-]+:/, '') !== name) throw malformed();
        at += close[0].length;
        return node;
      }
      if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at);
        if (end < 0) throw malformed();
        at = end + 3;
        continue;
      }
      if (source.startsWith('<![CDATA[', at)) {
        const end = source.indexOf(']]>', at);
        if (end < 0) throw malformed();
        node.text += source.slice(at + 9, end);
        at = end + 3;
        continue;
      }
      if (source.startsWith('<!', at) || source.startsWith('<?', at)) throw malformed();
      node.children.push(element(depth + 1));
    }
  };
  skipSpace();
  const root = element(0);
  skipSpace();
  if (at !== source.length) throw malformed();
  return root;
}

/** The text of the first child named `name`, trimmed (undefined when there is none). */
export function childText(element: XmlElement, name: string): string | undefined {
  return element.children.find((child) => child.name === name)?.text.trim();
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}
