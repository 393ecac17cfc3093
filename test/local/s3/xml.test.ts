import { describe, expect, it } from 'vitest';
import { childrenNamed, childText, parseXml, xmlDocument } from '#local/s3/xml.ts';

describe("the local S3's XML", () => {
  it('reads a DeleteObjects document of 1,000 long keys in linear time, entities decoded', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `${'x'.repeat(1000)}/${i} & <${i}>`);
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${keys
      .map(
        (key) =>
          `<Object><Key>${key.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</Key></Object>`,
      )
      .join('')}<Quiet>true</Quiet></Delete>`;
    const started = Date.now();
    const document = parseXml(body);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(childrenNamed(document, 'Object').map((o) => childText(o, 'Key'))).toEqual(keys);
    expect(childText(document, 'Quiet')).toBe('true');
  });

  it('refuses what is not a well-formed S3 request document (MalformedXML)', () => {
    for (const bad of [
      '<a><b></a>',
      '<a>',
      '<!DOCTYPE a><a/>',
      '<a>&unknown;</a>',
      `${'<a>'.repeat(40)}${'</a>'.repeat(40)}`,
    ]) {
      expect(() => parseXml(bad), bad.slice(0, 20)).toThrow(expect.objectContaining({ name: 'MalformedXML' }));
    }
  });

  it("writes S3's namespace and escapes text", () => {
    expect(
      xmlDocument('Result', [
        ['Key', 'a&b<c>'],
        ['Skipped', undefined],
      ]),
    ).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Result xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Key>a&amp;b&lt;c&gt;</Key></Result>',
    );
  });
});
