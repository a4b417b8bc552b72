import type { LocalizedString } from '@commercetools/platform-sdk';
import { localizedText } from '../../../src/mappers/localized-text';

describe('localizedText', () => {
  it.each<[string, LocalizedString | undefined, string | undefined, string | undefined]>([
    ['the preferred locale', { en: 'Shoes', 'de-DE': 'Schuhe', de: 'Schuh' }, 'de-DE', 'Schuhe'],
    ['its language when the locale is missing', { en: 'Shoes', de: 'Schuhe' }, 'de-AT', 'Schuhe'],
    ['a preferred language without region', { en: 'Shoes', de: 'Schuhe' }, 'de', 'Schuhe'],
    ['the first locale when neither is there', { fr: 'Chaussures', en: 'Shoes' }, 'de-DE', 'Chaussures'],
    ['the first locale without a preference', { fr: 'Chaussures', en: 'Shoes' }, undefined, 'Chaussures'],
    ['the first locale, not another region of the language', { en: 'Shoes', 'de-AT': 'Schuhe' }, 'de-DE', 'Shoes'],
    ['the language when the preferred text is empty', { 'de-DE': '', de: 'Schuhe', en: 'Shoes' }, 'de-DE', 'Schuhe'],
    ['the first locale with text when the others are empty', { 'de-DE': '', de: '', en: 'Shoes' }, 'de-DE', 'Shoes'],
    ['nothing when every text is empty', { en: '', de: '' }, 'de', undefined],
    ['nothing for an empty value', {}, 'en', undefined],
    ['nothing for no value', undefined, 'en', undefined],
    ['no member of Object.prototype for a locale named like one', { en: 'Shoes' }, 'constructor', 'Shoes'],
  ])('picks %s', (_case, value, preferredLocale, expected) => {
    expect(localizedText(value, preferredLocale)).toBe(expected);
  });
});
