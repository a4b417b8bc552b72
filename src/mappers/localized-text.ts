import type { LocalizedString } from '@commercetools/platform-sdk';

/**
 * Picks one text from a commercetools LocalizedString, as the user's text describes:
 * the preferred locale (for example `de-DE`), then its language part (`de`), then the
 * first locale present. Returns undefined when the value has no text at all.
 */
export function localizedText(
  value: LocalizedString | undefined,
  preferredLocale: string | undefined,
): string | undefined {
  if (!value) return undefined;
  if (preferredLocale) {
    if (value[preferredLocale] !== undefined) return value[preferredLocale];
    const language = preferredLocale.split('-')[0];
    if (value[language] !== undefined) return value[language];
  }
  const first = Object.keys(value)[0];
  return first === undefined ? undefined : value[first];
}
