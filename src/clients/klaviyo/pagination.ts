/** The `page[cursor]` of a JSON:API `links.next` URL, or undefined on the last page. */
export function nextPageCursor(nextLink: string | undefined | null): string | undefined {
  if (!nextLink) return undefined;
  return new URL(nextLink).searchParams.get('page[cursor]') ?? undefined;
}
