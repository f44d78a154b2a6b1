/**
 * The free text of an interaction, walked in ONE place: what is redacted on
 * ingest (card numbers) and what is indexed for search are the same fields,
 * so a field added here is covered by both.
 */

/** What carries free text: an interaction, or a part of one (appended messages). */
export interface TextBearing {
  subject?: string;
  comment?: string;
  messages?: { text?: string }[];
  /** An email's bodies (its addresses are identifiers, not text). */
  email?: { text?: string; html?: string };
}

export interface TextField {
  /** Dotted path, e.g. `messages.2.text`. */
  field: string;
  text: string;
}

/** A copy of `record` with every free text replaced by `map(text, field)`; the input is not changed. */
export function mapInteractionTexts<T extends TextBearing>(record: T, map: (text: string, field: string) => string): T {
  const copy = { ...record };
  if (copy.subject !== undefined) copy.subject = map(copy.subject, 'subject');
  if (copy.comment !== undefined) copy.comment = map(copy.comment, 'comment');
  if (copy.messages !== undefined)
    copy.messages = copy.messages.map((m, i) => (m.text === undefined ? m : { ...m, text: map(m.text, `messages.${i}.text`) }));
  if (copy.email !== undefined) {
    const email = { ...copy.email };
    if (email.text !== undefined) email.text = map(email.text, 'email.text');
    if (email.html !== undefined) email.html = map(email.html, 'email.html');
    copy.email = email;
  }
  return copy;
}

/** Every free text of a record, with its path. */
export function interactionTexts(record: TextBearing): TextField[] {
  const found: TextField[] = [];
  mapInteractionTexts(record, (text, field) => {
    found.push({ field, text });
    return text;
  });
  return found;
}
