import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pyCsvRead, PyCsvError } from '../../../src/bench/ifbench/pyCsv.ts';
import {
  PUNCT,
  countOccurrences,
  deletePunct,
  digitRuns,
  nfkdAscii,
  pyInt,
  pyIsDigit,
  pyIsLower,
  pyIsUpper,
  pyLen,
  pySlice,
  pySplit,
  pyStrip,
  wordBoundaryPattern,
  wordRuns,
} from '../../../src/bench/ifbench/pyText.ts';

describe('Python text semantics', () => {
  it('string.punctuation is the 32 ASCII characters only', () => {
    assert.equal(PUNCT.length, 32);
    assert.equal(deletePunct('“Hi”—you… ¿ok?'), '“Hi”—you… ¿ok');
  });

  it('split() and strip() use Python whitespace (U+001C and U+0085 yes, U+FEFF no)', () => {
    assert.deepEqual(pySplit('a\u001cb\u0085c\ufeffd  e'), ['a', 'b', 'c\ufeffd', 'e']);
    assert.equal(pyStrip('\u0085 x \u001f'), 'x');
    assert.equal(pyStrip('\ufeffx'), '\ufeffx');
    assert.equal(pyStrip('..,a,b..', '.,'), 'a,b');
  });

  it('lengths and slices count code points', () => {
    assert.equal(pyLen('a😀b'), 3);
    assert.equal(pySlice('a😀bcd', 1, 3), '😀b');
    assert.equal(pySlice('abcdef', -2), 'ef');
    assert.equal(pySlice('abc', 2, 100), 'c');
  });

  it('\\w, \\d and \\b are Unicode-aware', () => {
    assert.deepEqual(wordRuns('naïve café_1, 東京!'), ['naïve', 'café_1', '東京']);
    assert.deepEqual(digitRuns('x٣٤y12'), ['٣٤', '12']);
    assert.ok(new RegExp(wordBoundaryPattern('Leo'), 'u').test('(Leo)'));
    assert.ok(!new RegExp(wordBoundaryPattern('Leo'), 'u').test('Leoé'));
    assert.ok(!new RegExp(wordBoundaryPattern('Leo'), 'u').test('éLeo'));
  });

  it('islower/isupper need a cased character; isdigit accepts superscripts', () => {
    assert.equal(pyIsLower('abc1'), true);
    assert.equal(pyIsLower('123'), false);
    assert.equal(pyIsLower("n't"), true);
    assert.equal(pyIsUpper('USA'), true);
    assert.equal(pyIsUpper('Usa'), false);
    assert.equal(pyIsDigit('²3'), true);
    assert.equal(pyIsDigit('3.5'), false);
  });

  it('count, int, NFKD→ASCII', () => {
    assert.equal(countOccurrences('aaaa', 'aa'), 2);
    assert.equal(pyInt('٠٧'), 7);
    assert.equal(pyInt('1805'), 1805);
    assert.equal(nfkdAscii('São Tomé — Chișinău'), 'Sao Tome  Chisinau');
  });
});

describe('Python csv.reader', () => {
  it('a blank line is an empty row', () => {
    assert.deepEqual(pyCsvRead('a,b\n\nc,d\n'), [['a', 'b'], [], ['c', 'd']]);
  });
  it('text after a closing quote joins the field; a mid-field quote is literal', () => {
    assert.deepEqual(pyCsvRead('a,"b,c"x,d\ne"f,g'), [
      ['a', 'b,cx', 'd'],
      ['e"f', 'g'],
    ]);
  });
  it('doubled quotes and newlines inside quotes', () => {
    assert.deepEqual(pyCsvRead('"say ""hi""","two\nlines"\n'), [['say "hi"', 'two\nlines']]);
  });
  it('tab delimiter, CRLF line ends, trailing delimiter', () => {
    assert.deepEqual(pyCsvRead('a\tb\r\nc\t\r\n', '\t'), [
      ['a', 'b'],
      ['c', ''],
    ]);
  });
  it('an unterminated quote keeps what it read', () => {
    assert.deepEqual(pyCsvRead('a,"bc'), [['a', 'bc']]);
  });
  it('a bare CR followed by text raises like Python', () => {
    assert.throws(() => pyCsvRead('a\rb\n'), PyCsvError);
  });
});
