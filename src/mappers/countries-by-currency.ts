import { z } from 'zod';

/**
 * `country-data-list` is the maintained fork of the country data the original module looked
 * countries up in, with the same `lookup.countries({ currencies })`. Its declarations resolve only
 * under node16 or bundler module resolution and type the lookup as `any`, so it is loaded with
 * `require` and its shape checked here: once when loaded, then each currency's answer.
 */
const countryData = z
  .object({
    lookup: z.object({
      countries: z.custom<(query: { currencies: string }) => unknown>((value) => typeof value === 'function'),
    }),
  })
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the import its declarations need does not resolve here (see above)
  .parse(require('country-data-list'));

const countryCodes = z.array(z.object({ alpha2: z.string().regex(/^[A-Z]{2}$/) }));

// Pure data: one look-up per currency code for the life of the process.
const countriesByCurrency = new Map<string, readonly string[]>();

/**
 * The two-letter codes of every country and territory that uses the currency, as the country data
 * lists them (ISO 3166 codes, reserved ones such as `EU` included); none for a code it does not know.
 */
export function countriesUsingCurrency(currencyCode: string): readonly string[] {
  let countries = countriesByCurrency.get(currencyCode);
  if (!countries) {
    const found = countryCodes.parse(countryData.lookup.countries({ currencies: currencyCode }));
    countries = found.map((country) => country.alpha2);
    countriesByCurrency.set(currencyCode, countries);
  }
  return countries;
}
