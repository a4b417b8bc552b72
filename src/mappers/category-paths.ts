import type { Category } from '@commercetools/platform-sdk';
import { localizedText } from './localized-text';

/** The parts of a category a path needs; a commercetools Category fits. */
export type CategoryLike = Pick<Category, 'name' | 'ancestors'>;

export type CategoryLookup = (id: string) => CategoryLike | undefined;

/**
 * The names from the root down to the category, for example ["Women", "Pants", "Jeans"].
 * commercetools keeps a category's ancestors root first. Undefined when the category, one of its
 * ancestors or one of their names is missing: a path with a gap would name the wrong place.
 */
export function categoryPathNames(
  categoryId: string,
  categoryById: CategoryLookup,
  preferredLocale: string | undefined,
): string[] | undefined {
  const category = categoryById(categoryId);
  if (!category) return undefined;
  const names: string[] = [];
  for (const link of [...category.ancestors.map((ancestor) => categoryById(ancestor.id)), category]) {
    const name = link && localizedText(link.name, preferredLocale);
    if (!name) return undefined;
    names.push(name);
  }
  return names;
}
