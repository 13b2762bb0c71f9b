/** Putting untrusted text (values, keys, error messages from the history) into the page safely. */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * JSON to put inside a `<script type="application/json">` element. The HTML parser
 * ends a script element at the first `</script` whatever the JSON means, and `<!--`
 * changes how it looks for that end; JSON allows `\u003c` for `<` anywhere in a
 * string, so no `<` (nor `>`, `&`) reaches the page and the data cannot end the
 * element early. U+2028 and U+2029 are escaped too, which some tools mis-handle.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
