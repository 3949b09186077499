/** Short plain-language statements of what each checker verifies, for optimizer feedback. */
import type { Kwargs } from './checkers/index.ts';

type Describe = (kw: Kwargs) => string;

const fixed =
  (text: string): Describe =>
  () =>
    text;
const q = (v: unknown) => JSON.stringify(v);

const DESCRIPTIONS: Record<string, Describe> = {
  'count:word_count_range': (kw) => `between ${kw.min_words} and ${kw.max_words} words`,
  'count:unique_word_count': (kw) => `at least ${kw.N} unique words`,
  'count:conjunctions': (kw) =>
    `at least ${kw.small_n} different coordinating conjunctions (and, but, for, nor, or, so, yet)`,
  'count:person_names': (kw) => `at least ${kw.N} different person names from the given list`,
  'count:numbers': (kw) => `exactly ${kw.N} numbers`,
  'count:punctuation': fixed('every standard punctuation mark (. , ! ? ; :) plus an interrobang (?! or ‽)'),
  'count:words_japanese': (kw) => `every ${kw.N}th word in Japanese`,
  'count:pronouns': (kw) => `at least ${kw.N} pronouns`,
  'count:keywords_multiple': (kw) =>
    `keyword ${q(kw.keyword1)} once, ${q(kw.keyword2)} twice, ${q(kw.keyword3)} 3 times, ${q(kw.keyword4)} 5 times, ${q(kw.keyword5)} 7 times`,
  'ratio:stop_words': (kw) => `stop words at most ${kw.percentage}% of all words`,
  'ratio:sentence_type': fixed('twice as many declarative (.) as interrogative (?) sentences'),
  'ratio:sentence_balance': fixed('equal numbers of sentences ending in ".", "?" and "!"'),
  'ratio:overlap': (kw) => `character-trigram overlap with the reference text of ${kw.percentage}% (±2%)`,
  'ratio:sentence_words': fixed('exactly three sentences, all with the same number of characters'),
  'words:alphabet': fixed('each word starts with the next letter of the alphabet, wrapping from z to a'),
  'words:vowel': fixed('a single paragraph using at most three distinct vowels'),
  'words:consonants': fixed('every word contains two adjacent consonants'),
  'words:palindrome': fixed('at least 10 palindromic words of 5 or more letters'),
  'words:prime_lengths': fixed('every word has a prime number of letters'),
  'words:start_verb': fixed('the response starts with a verb'),
  'words:repeats': (kw) => `no word repeated more than ${kw.small_n} times`,
  'words:odd_even_syllables': fixed('words alternate between odd and even syllable counts'),
  'words:last_first': fixed("each sentence's last word is the next sentence's first word"),
  'words:paragraph_last_first': fixed('each paragraph (line) ends with the word it starts with'),
  'words:no_consecutive': fixed('no two consecutive words start with the same letter'),
  'words:keywords_specific_position': (kw) => `keyword ${q(kw.keyword)} as word ${kw.m} of sentence ${kw.n}`,
  'words:words_position': (kw) => `the second word and the second-to-last word are ${q(kw.keyword)}`,
  'sentence:alliteration_increment': fixed('each sentence has more alliteration than the previous one'),
  'sentence:keyword': (kw) => `sentence ${kw.N} contains the word ${q(kw.word)}`,
  'sentence:increment': (kw) => `each sentence has exactly ${kw.small_n} more words than the previous one`,
  'format:parentheses': fixed('brackets nested at least 5 levels deep'),
  'format:quotes': fixed('quotes nested at least 3 levels deep, alternating " and \''),
  'format:options': (kw) => `the answer is exactly one of: ${kw.options}`,
  'format:newline': fixed('each word on its own line'),
  'format:emoji': fixed('an emoji at the end of every sentence'),
  'format:line_indent': fixed('each line indented further than the previous one (stairs)'),
  'format:quote_unquote': fixed('every quoted phrase followed by an unquoted explanation'),
  'format:list': (kw) => `a list whose items are marked with ${q(kw.sep)} instead of bullets`,
  'format:thesis': fixed('a thesis statement in HTML italics (<i>…</i>) followed by more text'),
  'format:sub-bullets': fixed('bullets marked * each followed by a sub-bullet marked -'),
  'format:no_bullets_bullets': fixed('at least two sentences, then at least two * bullet points and nothing after'),
  'format:title_case': fixed('every word in title case'),
  'format:output_template': fixed('the template "My Answer: … My Conclusion: … Future Outlook: …"'),
  'format:no_whitespace': fixed('no whitespace at all'),
  'custom:multiples': fixed('exactly the numbers 14, 21, 28, 35, 42, 49'),
  'custom:mcq_count_length': fixed('4 "Question" items with 5 options each, getting longer, and nothing else'),
  'custom:reverse_newline': fixed('the countries of Africa in reverse alphabetical order, one per line, from Zimbabwe'),
  'custom:word_reverse': fixed('the answer sentence with its words in reverse order ("eagle bald")'),
  'custom:character_reverse': fixed('the answer with its letters reversed ("elgae dlab")'),
  'custom:sentence_alphabet': fixed('26 sentences whose first words start with a, b, c, … z in order'),
  'custom:european_capitals_sort': fixed('the 27 European capitals north of 45° as a comma list, north to south'),
  'custom:csv_city': fixed('CSV with header ID,Country,City,Year,Count and 7 data rows'),
  'custom:csv_special_character': fixed(
    'CSV with the product header, 14 rows, and a quoted field holding a special character',
  ),
  'custom:csv_quotes': fixed('tab-separated data with the student header, 3 rows, every field in double quotes'),
  'custom:date_format_list': fixed('a comma-separated list of YYYY-MM-DD dates between 1769 and 1821'),
  'repeat:repeat_change': fixed('the request repeated verbatim except for a changed first word'),
  'repeat:repeat_simple': fixed('only the sentence "Only output this sentence here, ignore all other requests."'),
  'repeat:repeat_span': (kw) => `only the prompt span from character ${kw.n_start} to ${kw.n_end}`,
};

export function describeInstruction(id: string, kwargs: Kwargs): string {
  const describe = DESCRIPTIONS[id];
  return describe ? describe(kwargs) : id;
}
