import type { Category } from '@commercetools/platform-sdk';
import { mapCatalogCategory } from '../../../src/mappers/catalog-category';
import { catalogId } from '../../../src/mappers/catalog-ids';
import { ctCategory as category } from '../../support/commercetools-fixtures';

const women = category('women', { en: 'Women', de: 'Damen' });
const pants = category('pants', { en: 'Pants', 'de-DE': 'Hosen' }, ['women']);
const jeans = category('jeans', { en: 'Jeans', de: 'Jeans (de)' }, ['women', 'pants']);
const orphan = category('orphan', { en: 'Orphan' }, ['not-loaded']);
const known = new Map([women, pants, jeans].map((loaded) => [loaded.id, loaded]));
const categoryById = (id: string) => known.get(id);

describe('catalogId', () => {
  it('prefixes the external id with the custom integration and default catalog', () => {
    expect(catalogId('a1b2')).toBe('$custom:::$default:::a1b2');
  });
});

describe('mapCatalogCategory', () => {
  it('gives the Klaviyo id, the create form with identity and the update form without it', () => {
    expect(mapCatalogCategory(jeans, { categoryById })).toStrictEqual({
      id: '$custom:::$default:::jeans',
      create: {
        type: 'catalog-category',
        attributes: {
          externalId: 'jeans',
          integrationType: '$custom',
          catalogType: '$default',
          name: 'Women > Pants > Jeans',
        },
      },
      update: {
        type: 'catalog-category',
        id: '$custom:::$default:::jeans',
        attributes: { name: 'Women > Pants > Jeans' },
      },
    });
  });

  it.each<[string, Category, string | undefined, string]>([
    ['a root category is its own name', women, undefined, 'Women'],
    ['ancestors come root first', jeans, undefined, 'Women > Pants > Jeans'],
    ['the preferred locale, else its language, per name', jeans, 'de-DE', 'Damen > Hosen > Jeans (de)'],
    ['the language of the preferred locale', women, 'de-AT', 'Damen'],
    ['the first locale when neither is there', jeans, 'fr-FR', 'Women > Pants > Jeans'],
    ['an ancestor that was not loaded is left out', orphan, undefined, 'Orphan'],
  ])('%s', (_case, mapped, preferredLocale, expectedName) => {
    expect(mapCatalogCategory(mapped, { preferredLocale, categoryById }).create.attributes.name).toBe(expectedName);
  });
});
