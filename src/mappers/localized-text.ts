import type { LocalizedString } from '@commercetools/platform-sdk';

/**
 * Picks one text from a commercetools LocalizedString, as the original module does:
 * the preferred locale (for example `de-DE`), then its language part (`de`), then the
 * first locale that has text. An empty text counts as missing (the original skips an empty
 * preferred text too), so a blank translation does not hide a real one. Returns undefined when
 * the value has no text at all.
 */
export function localizedText(
  value: LocalizedString | undefined,
  preferredLocale: string | undefined,
): string | undefined {
  if (!value) return undefined;
  const preferred = preferredLocale ? [preferredLocale, preferredLocale.split('-')[0]] : [];
  for (const locale of [...preferred, ...Object.keys(value)]) {
    // Own keys only: a locale such as `constructor` must not find Object.prototype's members.
    if (Object.hasOwn(value, locale) && value[locale]) return value[locale];
  }
  return undefined;
}
