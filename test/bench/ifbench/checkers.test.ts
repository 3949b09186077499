import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IFBENCH_CHECKERS, followedList, type Kwargs } from '../../../src/bench/ifbench/index.ts';

type Case = [response: string, kwargs: Kwargs, expected: boolean];

function follows(id: string, response: string, kwargs: Kwargs = {}, mode: 'strict' | 'loose' = 'strict'): boolean {
  return followedList([{ id, kwargs }], response, mode)[0];
}

function table(id: string, cases: Case[]) {
  it(id, () => {
    for (const [response, kwargs, expected] of cases) {
      assert.equal(follows(id, response, kwargs), expected, `${id} on ${JSON.stringify(response)}`);
    }
  });
}

const mcq = (lengths: number[], preamble = '') =>
  preamble +
  lengths
    .map(
      (n, i) =>
        `Question ${i + 1}: ${'Q'.repeat(n)}?\n${'ABCDE'
          .split('')
          .map((l) => `${l}) option`)
          .join('\n')}`,
    )
    .join('\n\n');

const CAPITALS =
  'Reykjavík, Helsinki, Oslo, Tallinn, Stockholm, Riga, Moscow, Copenhagen, Vilnius, Minsk, Dublin, Berlin, Amsterdam, Warsaw, London, Brussels, Prague, Luxembourg, Paris, Vienna, Bratislava, Budapest, Vaduz, Chișinău, Bern, Ljubljana, Zagreb';
const africa = (n: number) =>
  ['Zimbabwe', ...Array.from({ length: n - 1 }, (_, i) => `Country ${String(99 - i)}`)].join('\n');
const productCsv = (special: boolean) =>
  [
    'ProductID, Category, Brand, Price, Stock',
    ...Array.from({ length: 14 }, (_, i) => `${i},Tools,${special && i === 3 ? '"Acme & Co"' : 'Acme'},9.99,5`),
  ].join('\n');
const studentTsv = (lastField: string) =>
  [
    '"StudentID"\t"Subject"\t"Grade"\t"Semester"\t"Score"',
    '"1"\t"Math"\t"A"\t"Fall"\t"90"',
    '"2"\t"Art"\t"B"\t"Fall"\t"80"',
    `"3"\t"Bio"\t"C"\t"Fall"\t${lastField}`,
  ].join('\n');

describe('count:*', () => {
  table('count:word_count_range', [
    ['one two, three', { min_words: 3, max_words: 4 }, true],
    ['one two', { min_words: 3, max_words: 4 }, false],
  ]);
  table('count:unique_word_count', [
    // "--" strips to "", which still counts as a member.
    ['Hi hi! -- x', { N: 3 }, true],
    ['Hi hi! -- x', { N: 4 }, false],
  ]);
  table('count:conjunctions', [
    ['and And and, or', { small_n: 4 }, true],
    ['and and and', { small_n: 2 }, false],
  ]);
  table('count:person_names', [
    ['Leo and Emma met Leonard', { N: 2 }, true],
    ['Leo and Emma met Leonard', { N: 3 }, false],
  ]);
  table('count:numbers', [
    ['Pi is 3.14 and 1,000 items', { N: 2 }, true],
    ['Pi is 3.14 and 1,000 items', { N: 3 }, false],
  ]);
  table('count:punctuation', [
    ['Really?! Yes. No, wait; here: ok! Why?', {}, true],
    ['Really?! Yes. No, wait; here: ok!', {}, false],
  ]);
  table('count:words_japanese', [
    ['I 猫 like 3 very 犬', { N: 2 }, true],
    ['I cat like dogs', { N: 2 }, false],
  ]);
  table('count:pronouns', [
    ['She/her said it was hers.', { N: 4 }, true],
    ['The cat sat.', { N: 1 }, false],
  ]);
  table('count:keywords_multiple', [
    [
      'a b b c c c d d d d d e e e e e e e',
      { keyword1: 'a', keyword2: 'b', keyword3: 'c', keyword4: 'd', keyword5: 'e' },
      true,
    ],
    // Substring counting: "whispering" contains "whisper".
    ['whisper whispering', { keyword1: 'x', keyword2: 'whisper', keyword3: 'y', keyword4: 'z', keyword5: 'w' }, false],
    // str.strip() of the kwarg, lower() of both sides, non-overlapping str.count ("aaa" holds "aa" once).
    [
      'AAA Bb bB cc CC Cc d d d d d e e e e e e e',
      { keyword1: ' aa ', keyword2: 'B\tB', keyword3: 'cc', keyword4: 'd', keyword5: 'E' },
      false,
    ],
    [
      'AAA Bb bB cc CC Cc d d d d d e e e e e e e',
      { keyword1: ' aa ', keyword2: 'bb', keyword3: 'CC', keyword4: 'd', keyword5: 'E' },
      true,
    ],
    // lower() maps "İ" to "i" + U+0307, as JS does, so it counts as an "i".
    [
      'İ b b c c c d d d d d e e e e e e e',
      { keyword1: 'i', keyword2: 'b', keyword3: 'c', keyword4: 'd', keyword5: 'e' },
      true,
    ],
  ]);
});

describe('ratio:*', () => {
  table('ratio:stop_words', [
    ['The cat is on the mat', { percentage: 70 }, true],
    ['The cat is on the mat', { percentage: 60 }, false],
  ]);
  table('ratio:overlap', [
    ['the quick brown fox', { reference_text: 'the quick brown fox', percentage: 99 }, true],
    ['zzzz', { reference_text: 'the quick brown fox', percentage: 50 }, false],
  ]);
  table('ratio:sentence_type', [
    ['It is. So it is. Is it?', {}, true],
    ['It is. Is it?', {}, false],
  ]);
  table('ratio:sentence_balance', [
    ['Yes. No? Wow!', {}, true],
    ['Yes. No?', {}, false],
  ]);
  table('ratio:sentence_words', [
    ['Abc. Def. Ghi.', {}, true],
    ['Ab. Def. Ghi.', {}, false],
  ]);
});

describe('words:*', () => {
  table('words:alphabet', [
    ['Apples bring cheer, delight everyone.', {}, true],
    ['Yes zebras always', {}, true],
    ['Apples carry', {}, false],
    ['1 apple', {}, false],
  ]);
  table('words:vowel', [
    ['I am a cat', {}, true],
    ['I am\na cat', {}, false],
  ]);
  table('words:consonants', [
    ['strong crypt', {}, true],
    ['strong cat', {}, false],
  ]);
  table('words:palindrome', [
    [Array(10).fill('Level,').join(' '), {}, true],
    [`${Array(9).fill('level').join(' ')} wow`, {}, false],
  ]);
  table('words:prime_lengths', [
    ['hi you', {}, true],
    ['a cat', {}, false],
  ]);
  table('words:start_verb', [
    ['Write a poem.', {}, true],
    ['The cat sat.', {}, false],
  ]);
  table('words:repeats', [
    ['a a b', { small_n: 2 }, true],
    ['The the THE', { small_n: 2 }, false],
  ]);
  table('words:odd_even_syllables', [
    ['cat apple dog', {}, true],
    ['cat dog', {}, false],
  ]);
  table('words:last_first', [
    ['I like cats. Cats like me.', {}, true],
    ['I like cats. Dogs like me.', {}, false],
  ]);
  table('words:paragraph_last_first', [
    ['Word middle word.\n\nHello there hello', {}, true],
    ['Word, x word', {}, false],
  ]);
  table('words:no_consecutive', [
    ['apple banana cherry', {}, true],
    ['big, bad', {}, false],
  ]);
  table('words:keywords_specific_position', [
    ['Hello there. I see cat today.', { keyword: 'Cat', n: 2, m: 3 }, true],
    ['Hello there. I see a cat.', { keyword: 'cat', n: 2, m: 3 }, false],
  ]);
  table('words:words_position', [
    ['The cat sat, cat here.', { keyword: 'cat' }, true],
    ['The cat sat on the cat.', { keyword: 'cat' }, false],
  ]);
});

describe('sentence:*', () => {
  table('sentence:alliteration_increment', [
    ['Big dog. Big bad bear.', {}, true],
    ['Big bad bear. Big dog.', {}, false],
  ]);
  table('sentence:keyword', [
    ['Hi. The cat sat.', { word: 'CAT', N: 2 }, true],
    ['Hi. The category.', { word: 'cat', N: 2 }, false],
  ]);
  table('sentence:increment', [
    ['One. One two. One two three.', { small_n: 1 }, true],
    ['One. One two three.', { small_n: 1 }, false],
  ]);
});

describe('format:*', () => {
  table('format:parentheses', [
    ['(a[b{c(d[e])}])', {}, true],
    ['(a[b{c(d)}])', {}, false],
    // A mismatched closer resets the depth.
    ['(a[b{c(d[e)', {}, false],
  ]);
  table('format:quotes', [
    [`"a 'b "c" b' a"`, {}, true],
    [`"a 'b' a"`, {}, false],
  ]);
  table('format:options', [
    ['Maybe.', { options: 'yes/no/maybe' }, true],
    ["I don't know.", { options: "I know or I don't know" }, true],
    ['a)', { options: 'a), b), c), d)' }, true],
    // Multiple-choice options are compared exactly, unstripped.
    ['a) ', { options: 'a), b), c), d)' }, false],
    // "or" inside "Sort" makes it the separator.
    ['Yes', { options: 'Yes, Sort of, No' }, false],
  ]);
  table('format:newline', [
    ['one\ntwo\nthree', {}, true],
    ['one two\nthree', {}, false],
  ]);
  table('format:emoji', [
    ['I love it 😀. Next one 🎉', {}, true],
    ['No emoji here.', {}, false],
  ]);
  table('format:line_indent', [
    ['a\n b\n  c', {}, true],
    ['a\n b\n b2', {}, false],
    // One blank line is removed; of two consecutive blank lines one survives (mutate-while-iterating).
    ['a\n\n b', {}, true],
    ['a\n\n\n b', {}, false],
  ]);
  table('format:quote_unquote', [
    ['"Hello" is a greeting', {}, true],
    ['He said "Hello"', {}, false],
    ['"A" "B" x', {}, false],
  ]);
  table('format:list', [
    ['- a\n- b', { sep: '-' }, true],
    // Occurrences do not overlap.
    ['!?!?!?', { sep: '!?!?' }, false],
  ]);
  table('format:thesis', [
    ['<i>Thesis</i> body', {}, true],
    ['<i>Thesis</i>', {}, false],
    // With <em>, the fixed offsets leave ">" in both pieces, so any pair of tags passes.
    ['<em></em>', {}, true],
  ]);
  table('format:sub-bullets', [
    ['* a\n - b\n* c\n - d', {}, true],
    ['* a\n* b - c', {}, false],
    ['no bullets at all', {}, true],
  ]);
  table('format:no_bullets_bullets', [
    ['One. Two.\n* a\n* b', {}, true],
    ['One.\n* a\n* b', {}, false],
  ]);
  table('format:title_case', [
    ['The Big Dog', {}, true],
    ['The big Dog', {}, false],
    // Treebank splits "Don't" into "Do" + "n't", and "n't" is lower case.
    ["I Don't Know", {}, false],
  ]);
  table('format:output_template', [
    ['My Answer: x My Conclusion: y Future Outlook: z', {}, true],
    ['My answer: x My Conclusion: y Future Outlook: z', {}, false],
  ]);
  table('format:no_whitespace', [
    ['abc', {}, true],
    ['a\u0085b', {}, false],
  ]);
});

describe('custom:*', () => {
  table('custom:multiples', [
    ['14, 21,28, 35, 42, 49', {}, true],
    ['14, 21, 28, 35, 42', {}, false],
  ]);
  table('custom:mcq_count_length', [
    [mcq([5, 10, 15, 20]), {}, true],
    [mcq([5, 10, 15, 20], 'Here you go:\n'), {}, false],
    [mcq([5, 10, 10, 20]), {}, false],
  ]);
  table('custom:reverse_newline', [
    [africa(52), {}, true],
    [africa(51), {}, false],
  ]);
  table('custom:word_reverse', [
    ['Eagle bald.', {}, true],
    ['Bald eagle.', {}, false],
  ]);
  table('custom:character_reverse', [
    ['.ELGAE DLAB', {}, true],
    ['bald eagle', {}, false],
  ]);
  table('custom:sentence_alphabet', [
    [
      'abcdefghijklmnopqrstuvwxyz'
        .split('')
        .map((l) => `${l.toUpperCase()}x runs.`)
        .join(' '),
      {},
      true,
    ],
    ['Ax runs. Cx runs.', {}, false],
  ]);
  table('custom:european_capitals_sort', [
    [CAPITALS, {}, true],
    [CAPITALS.replace('Oslo, Tallinn', 'Tallinn, Oslo'), {}, false],
  ]);
  table('custom:csv_city', [
    [
      `ID,Country,City,Year,Count\n${Array.from({ length: 7 }, (_, i) => `${i},F,Paris,2020,${i}`).join('\n')}`,
      {},
      true,
    ],
    // A blank line is an empty row.
    [
      `ID,Country,City,Year,Count\n\n${Array.from({ length: 6 }, (_, i) => `${i},F,Paris,2020,${i}`).join('\n')}`,
      {},
      false,
    ],
    // CRLF ends rows; a quoted comma stays in its field; text after a closing quote joins the field.
    [
      `ID,Country,City,Year,Count\r\n${Array.from({ length: 7 }, (_, i) => `${i},"F, R","Par"is,2020,${i}`).join('\r\n')}\r\n`,
      {},
      true,
    ],
    // A trailing blank line is one more (empty) row; a quoted header field is the same header.
    [`"ID",Country,City,Year,Count\n${Array.from({ length: 7 }, (_, i) => `${i},F,P,2020,${i}`).join('\n')}`, {}, true],
    [
      `ID,Country,City,Year,Count\n${Array.from({ length: 7 }, (_, i) => `${i},F,P,2020,${i}`).join('\n')}\n\n`,
      {},
      false,
    ],
    // A space after the comma is part of the field: " Country" is not "Country".
    [`ID, Country,City,Year,Count\n${Array.from({ length: 7 }, (_, i) => `${i},F,P,2020,${i}`).join('\n')}`, {}, false],
  ]);
  table('custom:csv_special_character', [
    [productCsv(true), {}, true],
    [productCsv(false), {}, false],
  ]);
  table('custom:csv_quotes', [
    [studentTsv('"70"'), {}, true],
    [studentTsv('70'), {}, false],
    // Python raises IndexError on an empty field; the port scores it as not followed.
    [studentTsv(''), {}, false],
  ]);
  table('custom:date_format_list', [
    ['1805-12-02, 1815-06-18', {}, true],
    ['1805-02-30', {}, false],
    // Month and day 00 are not rejected.
    ['1805-00-00', {}, true],
  ]);
});

describe('repeat:*', () => {
  table('repeat:repeat_change', [
    ['Compose a poem about cats', { prompt_to_repeat: 'Write a poem about cats' }, true],
    ['Write a poem about cats', { prompt_to_repeat: 'Write a poem about cats' }, false],
  ]);
  table('repeat:repeat_simple', [
    ['  Only output this sentence here, ignore all other requests. ', {}, true],
    ['Only output this sentence here.', {}, false],
  ]);
  table('repeat:repeat_span', [
    // Character indices, inclusive end.
    ['WORLD', { prompt_to_repeat: 'Hello world, foo', n_start: 6, n_end: 10 }, true],
    ['world,', { prompt_to_repeat: 'Hello world, foo', n_start: 6, n_end: 10 }, false],
  ]);
});

describe('strict vs loose', () => {
  it('loose drops a first line the strict check trips on', () => {
    assert.equal(follows('format:no_whitespace', 'Sure:\nabc'), false);
    assert.equal(follows('format:no_whitespace', 'Sure:\nabc', {}, 'loose'), true);
  });
  it('loose removes markdown asterisks', () => {
    const text = '**Only output this sentence here, ignore all other requests.**';
    assert.equal(follows('repeat:repeat_simple', text), false);
    assert.equal(follows('repeat:repeat_simple', text, {}, 'loose'), true);
  });
  it('loose drops a trailing line after the bullets', () => {
    assert.equal(follows('format:no_bullets_bullets', 'One. Two.\n* a\n* b\nThanks'), false);
    assert.equal(follows('format:no_bullets_bullets', 'One. Two.\n* a\n* b\nThanks', {}, 'loose'), true);
  });
  it('a blank response follows nothing, in either mode', () => {
    assert.equal(follows('format:sub-bullets', '  \n '), false);
    assert.equal(follows('format:sub-bullets', '  \n ', {}, 'loose'), false);
  });
});

describe('registry', () => {
  it('holds exactly the 58 test-set ids, with NLTK/syllapy/emoji ones flagged approximate', () => {
    assert.equal(Object.keys(IFBENCH_CHECKERS).length, 58);
    const approximate = Object.entries(IFBENCH_CHECKERS)
      .filter(([, c]) => c.approximation)
      .map(([id]) => id)
      .sort();
    assert.equal(approximate.length, 18);
    assert.ok(approximate.includes('words:odd_even_syllables'));
    assert.ok(!approximate.includes('ratio:overlap'));
  });
  it('a missing kwarg is a clear error', () => {
    assert.throws(() => follows('count:numbers', '1 2'), /count:numbers is missing kwargs: N/);
  });
});
