/** Single-quoted for sh: nothing inside is expanded. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
