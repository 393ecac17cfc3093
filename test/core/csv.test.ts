import { describe, expect, it } from 'vitest';
import { type CsvChunk, CsvQuoteError, CsvTokenizer, formatCsvRow, readCsv } from '#core/csv.ts';

/** Feeds `bytes` to a tokenizer in pieces of `size` bytes; returns every record with the line it was reported from. */
function tokenize(input: string | Uint8Array, size = Number.POSITIVE_INFINITY) {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const tokenizer = new CsvTokenizer();
  const chunks: CsvChunk[] = [];
  const step = Math.min(size, Math.max(1, bytes.length));
  for (let i = 0; i < bytes.length; i += step) {
    const chunk = tokenizer.push(bytes.subarray(i, i + step));
    if (chunk) chunks.push(chunk);
  }
  const last = tokenizer.end();
  if (last) chunks.push(last);
  return { rows: chunks.flatMap((c) => c.rows), chunks, info: tokenizer.info };
}

describe('CsvTokenizer', () => {
  it('reads LF, CRLF and CR-only line ends alike, whole or byte by byte', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = ['a,b', '1,2', '3,4'].join(eol) + eol;
      for (const size of [1, 2, 3, 1 << 20]) {
        expect(tokenize(text, size).rows).toEqual([
          ['a', 'b'],
          ['1', '2'],
          ['3', '4'],
        ]);
      }
    }
  });

  it('reads a last line without a line end', () => {
    expect(tokenize('a,b\n1,2').rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('detects ; when it occurs more often than , outside quotes in the header line', () => {
    const { rows, info } = tokenize('"x,y,z";b;c\n1,5;2;3\n');
    expect(info.delimiter).toBe(';');
    expect(rows).toEqual([
      ['x,y,z', 'b', 'c'],
      ['1,5', '2', '3'],
    ]);
  });

  it('keeps , on a tie and when the header has no delimiter at all', () => {
    expect(tokenize('a;b,c\n').info.delimiter).toBe(',');
    expect(tokenize('nik\n1\n').info.delimiter).toBe(',');
  });

  it('uses the delimiter it is given instead of detecting one', () => {
    const tokenizer = new CsvTokenizer({ delimiter: ';' });
    const chunk = tokenizer.push(new TextEncoder().encode('a,b,c\n1;2\n'));
    expect(chunk?.rows).toEqual([['a,b,c'], ['1', '2']]);
  });

  it('detects the delimiter on the first non-empty line, past leading empty lines', () => {
    const { rows, info, chunks } = tokenize('\n  \n,,\na;b\n1;2\n');
    expect(info.delimiter).toBe(';');
    expect(rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(chunks[0]?.firstLine).toBe(4);
  });

  it('strips a UTF-8 BOM, also when it arrives one byte at a time', () => {
    for (const size of [1, 1 << 20]) {
      const { rows, info } = tokenize('\ufeffnik,nama\n1,Budi\n', size);
      expect(info.bom).toBe(true);
      expect(rows[0]).toEqual(['nik', 'nama']);
    }
    expect(tokenize('nik\n').info.bom).toBe(false);
  });

  it('unquotes RFC 4180 cells: delimiters, doubled quotes and line breaks inside quotes', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","two\r\nlines"\r\n"",  "padded"  ,z\r\n';
    for (const size of [1, 5, 1 << 20]) {
      expect(tokenize(text, size).rows).toEqual([
        ['a', 'b', 'c'],
        ['x, y', 'say "hi"', 'two\r\nlines'],
        ['', 'padded  ', 'z'],
      ]);
    }
  });

  it('keeps a quote inside an unquoted cell as written', () => {
    expect(tokenize('a,b\nJl. "Melati",5\n').rows[1]).toEqual(['Jl. "Melati"', '5']);
  });

  it('skips empty lines and lines of only delimiters and spaces, and counts their physical lines', () => {
    const { rows, chunks } = tokenize('a,b\n\n , \n\r\n1,2\n', 1 << 20);
    expect(rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(chunks).toHaveLength(1);
    const lateStart = tokenize('a,b\n1,"x\ny"\n\n3,4\n');
    expect(lateStart.rows).toEqual([
      ['a', 'b'],
      ['1', 'x\ny'],
      ['3', '4'],
    ]);
  });

  it('reports the physical line of the first row of each chunk', () => {
    const tokenizer = new CsvTokenizer();
    const encode = (s: string) => new TextEncoder().encode(s);
    expect(tokenizer.push(encode('a,b\n"1\n2",3\n\n'))?.firstLine).toBe(1);
    expect(tokenizer.push(encode('4,5\n'))?.firstLine).toBe(5);
  });

  it('throws CsvQuoteError naming the line where a never-closed quote opens', () => {
    expect(() => tokenize('a,b\n1,2\n3,"open\nstill open\n')).toThrow(CsvQuoteError);
    try {
      tokenize('a,b\n\n1,2\n3,"open\nmore\n', 2);
    } catch (error) {
      expect(error).toBeInstanceOf(CsvQuoteError);
      expect((error as CsvQuoteError).line).toBe(4);
    }
    expect.assertions(3);
  });

  it('keeps a multibyte UTF-8 character split over chunks whole', () => {
    const text = 'nama\nSélamet 🙂 Nuñez\n';
    expect(tokenize(text, 1).rows).toEqual([['nama'], ['Sélamet 🙂 Nuñez']]);
    expect(tokenize(text, 1).info.encoding).toBe('utf-8');
  });

  it('falls back to Windows-1252 from the line of the first byte that is not UTF-8', () => {
    // 'Sélamet' and 'Nuñez' and '€' as Windows-1252 single bytes, on physical lines 3 and 4.
    const head = new TextEncoder().encode('nama,kota\nBudi,Kudus\n');
    const tail = Uint8Array.from([
      ...Buffer.from('S', 'latin1'),
      0xe9,
      ...Buffer.from('lamet,Solo\nNu', 'latin1'),
      0xf1,
      ...Buffer.from('ez,', 'latin1'),
      0x80,
      0x0a,
    ]);
    const bytes = new Uint8Array([...head, ...tail]);
    for (const size of [1, 7, 1 << 20]) {
      const { rows, info } = tokenize(bytes, size);
      expect(rows).toEqual([
        ['nama', 'kota'],
        ['Budi', 'Kudus'],
        ['Sélamet', 'Solo'],
        ['Nuñez', '€'],
      ]);
      expect(info.encoding).toBe('windows-1252');
      expect(info.windows1252FromLine).toBe(3);
    }
  });

  it('keeps UTF-8 read before the fallback and counts lines inside quotes for it', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('a,b\n"é\n\n",1\n'), 0xe9, 0x0a]);
    const { rows, info } = tokenize(bytes);
    expect(rows).toEqual([['a', 'b'], ['é\n\n', '1'], ['é']]);
    expect(info.windows1252FromLine).toBe(5);
  });

  it('reads a stream of Buffers through readCsv and fills info as it goes', async () => {
    async function* source() {
      yield Buffer.from('a;b\n1;');
      yield Buffer.from('2\n');
    }
    const reader = readCsv(source());
    const rows: string[][] = [];
    for await (const chunk of reader) rows.push(...chunk.rows);
    expect(rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(reader.info.delimiter).toBe(';');
  });
});

describe('formatCsvRow', () => {
  it('joins with , and ends with CRLF, quoting only cells that need it', () => {
    expect(formatCsvRow(['a', 'b c', ''])).toBe('a,b c,\r\n');
    expect(formatCsvRow(['x,y', 'say "hi"', 'two\nlines', 'semi;colon', 'cr\r'])).toBe(
      '"x,y","say ""hi""","two\nlines","semi;colon","cr\r"\r\n',
    );
  });

  it('neutralises cells a spreadsheet would run as a formula when asked', () => {
    const cells = ['=SUM(A1)', '+62', '-1', '@x', '  =1', '\tx', '\rx', 'a=b', 'ok'];
    expect(formatCsvRow(cells, { neutraliseFormulas: true })).toBe(
      `'=SUM(A1),'+62,'-1,'@x,'  =1,'\tx,"'\rx",a=b,ok\r\n`,
    );
    expect(formatCsvRow(['=1'])).toBe('=1\r\n');
  });
});
