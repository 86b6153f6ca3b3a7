/**
 * HTML escaping for the collection page. Every piece of text that reaches
 * the page (member names, content types, ETags, tokens, hrefs) goes through
 * `escapeHtml`: names are chosen by whoever can PUT, so they are hostile.
 * The result is safe in element content and in double- or single-quoted
 * attribute values.
 */
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

/**
 * A template tag that escapes every interpolated value unless it is
 * already {@link Html} (markup this module built), so forgetting to escape
 * is not possible by construction.
 *
 * @example html`<a href="${href}">${name}</a>` // href and name escaped
 */
export function html(strings: TemplateStringsArray, ...values: ReadonlyArray<Html | string | number | readonly Html[]>): Html {
  let out = strings[0] as string;
  values.forEach((v, i) => {
    out += markup(v) + (strings[i + 1] as string);
  });
  return new Html(out);
}

/** Markup that is already safe (escaped or built by {@link html}). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function markup(v: Html | string | number | readonly Html[]): string {
  if (v instanceof Html) return v.value;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return escapeHtml(v);
  return v.map((h) => h.value).join('');
}
