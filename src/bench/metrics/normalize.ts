// The 32 ASCII punctuation characters (Python's string.punctuation).
const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
// Python's `\b(a|an|the)\b` with Unicode word characters (JS `\b` only knows ASCII word characters).
const ARTICLES = /(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu;

/**
 * DSPy's `normalize_text` (SQuAD answer normalisation preceded by Unicode NFD): NFD, lower-case, delete
 * ASCII punctuation, replace the articles a/an/the by a space, collapse whitespace. Used for answers and
 * for document titles alike.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFD')
    .toLowerCase()
    .replace(ASCII_PUNCTUATION, '')
    .replace(ARTICLES, ' ')
    .split(/\s+/)
    .filter((w) => w !== '')
    .join(' ');
}

/** The title of a retrieved document: the part before the first " | " of a "title | text" string. */
export function titleOfDocument(document: string): string {
  const cut = document.indexOf(' | ');
  return cut === -1 ? document : document.slice(0, cut);
}

/** A retrieved passage as the pipelines produce it: an object with a title, or a "title | text" string. */
export type RetrievedDocument = string | { title: string };

export function retrievedTitle(doc: RetrievedDocument): string {
  return typeof doc === 'string' ? titleOfDocument(doc) : doc.title;
}
