// Escaping for HTML and SVG text and attributes. Report strings come from log lines (user names,
// vhosts): every one passes through here. Pure.

/** Text and attribute values (double or single quoted). */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Control characters out of terminal and mail text (an escape sequence in a user name must not reach a terminal). */
export function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
