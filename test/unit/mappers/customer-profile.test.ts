import type { Address, Customer } from '@commercetools/platform-sdk';
import { defaultMappingSettings, type MappingSettings } from '../../../src/config/mapping-settings';
import {
  customerProfileAttributes,
  customerProfileAttributesWithoutPhone,
} from '../../../src/mappers/customer-profile';

function customer(fields: Partial<Customer>): Customer {
  return {
    id: 'c-1',
    version: 1,
    createdAt: '2024-01-01T00:00:00.000Z',
    lastModifiedAt: '2024-01-01T00:00:00.000Z',
    email: 'ada@example.com',
    addresses: [],
    shippingAddressIds: [],
    billingAddressIds: [],
    isEmailVerified: true,
    stores: [],
    authenticationMode: 'Password',
    customerGroupAssignments: [],
    ...fields,
  };
}

const home: Address = {
  id: 'home',
  country: 'DE',
  streetName: 'Hauptstraße',
  streetNumber: '1',
  postalCode: '10115',
  city: 'Berlin',
  phone: '+49 30 111',
};
const office: Address = {
  id: 'office',
  country: 'AT',
  building: 'Tower B',
  streetName: 'Ring',
  postalCode: '1010',
  city: 'Wien',
  mobile: '+43 660 222',
};
const shop: Address = { id: 'shop', country: 'CH', city: 'Zürich', region: 'ZH' };

const settings = defaultMappingSettings();

describe('customerProfileAttributes', () => {
  it('maps every field of a full customer', () => {
    const full = customer({
      firstName: 'Ada',
      lastName: 'Lovelace',
      title: 'Dr',
      companyName: 'Analytical Engines Ltd',
      addresses: [
        home,
        {
          id: 'billing',
          country: 'GB',
          apartment: 'Flat 3',
          building: 'Somerset House',
          streetNumber: '12',
          streetName: 'Strand',
          additionalStreetInfo: 'Rear entrance',
          additionalAddressInfo: 'Ring twice',
          city: 'London',
          region: 'Greater London',
          postalCode: 'WC2R 1LA',
          mobile: '+44 7700 900123',
          phone: '+44 20 7946 0000',
        },
      ],
      defaultBillingAddressId: 'billing',
      billingAddressIds: ['billing'],
      custom: { type: { typeId: 'type', id: 't-1' }, fields: { loyaltyTier: 'gold', newsletter: false } },
    });

    expect(customerProfileAttributes(full, settings)).toStrictEqual({
      email: 'ada@example.com',
      externalId: 'c-1',
      firstName: 'Ada',
      lastName: 'Lovelace',
      title: 'Dr',
      organization: 'Analytical Engines Ltd',
      phoneNumber: '+44 7700 900123',
      location: {
        address1: 'Flat 3, Somerset House, 12, Strand',
        address2: 'Rear entrance, Ring twice',
        city: 'London',
        country: 'GB',
        region: 'Greater London',
        zip: 'WC2R 1LA',
      },
      properties: { loyaltyTier: 'gold', newsletter: false },
    });
  });

  it('sends only email and external id for a customer with nothing else', () => {
    expect(customerProfileAttributes(customer({}), settings)).toStrictEqual({
      email: 'ada@example.com',
      externalId: 'c-1',
    });
  });

  it('leaves out empty texts instead of sending them', () => {
    const blank = customer({ firstName: '', lastName: 'Lovelace', companyName: '' });
    expect(customerProfileAttributes(blank, settings)).toStrictEqual({
      email: 'ada@example.com',
      externalId: 'c-1',
      lastName: 'Lovelace',
    });
  });

  it.each<[string, Partial<Customer>, string | undefined]>([
    [
      'the default billing address first',
      { addresses: [home, office, shop], defaultBillingAddressId: 'shop', billingAddressIds: ['office', 'shop'] },
      'Zürich',
    ],
    [
      'else the first billing address',
      { addresses: [home, office, shop], billingAddressIds: ['office', 'shop'] },
      'Wien',
    ],
    ['else the first address', { addresses: [home, office, shop] }, 'Berlin'],
    [
      'else the first billing address when the default billing id names no address',
      { addresses: [home, office], defaultBillingAddressId: 'gone', billingAddressIds: ['office'] },
      'Wien',
    ],
    [
      'else the first address when the billing id names no address',
      { addresses: [home, office], billingAddressIds: ['gone'] },
      'Berlin',
    ],
    ['no address at all', { addresses: [] }, undefined],
  ])('chooses %s', (_case, fields, expectedCity) => {
    expect(customerProfileAttributes(customer(fields), settings).location?.city).toBe(expectedCity);
  });

  it.each<[string, Partial<Address>, string | undefined]>([
    ['the mobile number before the phone', { mobile: '+49 151 000', phone: '+49 30 000' }, '+49 151 000'],
    ['the phone when there is no mobile', { phone: '+49 30 000' }, '+49 30 000'],
    ['the phone when the mobile is empty', { mobile: '', phone: '+49 30 000' }, '+49 30 000'],
    ['no number when the address has none', {}, undefined],
  ])('takes %s from the chosen address', (_case, numbers, expected) => {
    const attributes = customerProfileAttributes(
      customer({ addresses: [{ id: 'a', country: 'DE', ...numbers }] }),
      settings,
    );
    expect(attributes.phoneNumber).toBe(expected);
  });

  it('does not take a number from an address that was not chosen', () => {
    const attributes = customerProfileAttributes(
      customer({ addresses: [home, shop], defaultBillingAddressId: 'shop' }),
      settings,
    );
    expect(attributes).not.toHaveProperty('phoneNumber');
  });

  it.each<[string, Partial<Address>, Record<string, string> | undefined]>([
    ['street name only', { streetName: 'Ring' }, { address1: 'Ring', country: 'DE' }],
    [
      'apartment and street name, building and number missing',
      { apartment: 'Apt 4', streetName: 'Ring' },
      { address1: 'Apt 4, Ring', country: 'DE' },
    ],
    [
      'an empty building between present parts',
      { building: '', streetNumber: '7', streetName: 'Ring' },
      { address1: '7, Ring', country: 'DE' },
    ],
    ['additional address info only', { additionalAddressInfo: 'c/o Smith' }, { address2: 'c/o Smith', country: 'DE' }],
    [
      'both additional infos',
      { additionalStreetInfo: 'Hinterhaus', additionalAddressInfo: '3. OG' },
      { address2: 'Hinterhaus, 3. OG', country: 'DE' },
    ],
    [
      'postal code as zip, with region and city',
      { postalCode: '80331', city: 'München', region: 'Bayern' },
      { city: 'München', country: 'DE', region: 'Bayern', zip: '80331' },
    ],
    ['an empty country and nothing else', { country: '' }, undefined],
  ])('builds the location from %s', (_case, parts, expected) => {
    const attributes = customerProfileAttributes(
      customer({ addresses: [{ id: 'a', country: 'DE', ...parts }] }),
      settings,
    );
    expect(attributes.location).toStrictEqual(expected);
  });

  it.each<[string, MappingSettings['customerCustomFields'], Record<string, unknown> | undefined]>([
    [
      'all fields by default',
      { include: [], exclude: [], rename: {} },
      { loyaltyTier: 'gold', points: 0, birthday: '1815-12-10' },
    ],
    ['only included fields', { include: ['points'], exclude: [], rename: {} }, { points: 0 }],
    ['all but excluded fields', { include: [], exclude: ['birthday'], rename: {} }, { loyaltyTier: 'gold', points: 0 }],
    [
      'renamed fields',
      { include: [], exclude: [], rename: { loyaltyTier: 'Loyalty Tier' } },
      { 'Loyalty Tier': 'gold', points: 0, birthday: '1815-12-10' },
    ],
    [
      'no properties when every field is excluded',
      { include: [], exclude: ['loyaltyTier', 'points', 'birthday'], rename: {} },
      undefined,
    ],
  ])('sends custom fields as properties: %s', (_case, customerCustomFields, expected) => {
    const withCustom = customer({
      custom: {
        type: { typeId: 'type', id: 't-1' },
        fields: { loyaltyTier: 'gold', points: 0, birthday: '1815-12-10' },
      },
    });
    const attributes = customerProfileAttributes(withCustom, { ...settings, customerCustomFields });
    expect(attributes.properties).toStrictEqual(expected);
  });
});

describe('customerProfileAttributesWithoutPhone', () => {
  it('returns the same attributes without the phone number', () => {
    const withPhone = customer({ firstName: 'Ada', addresses: [home] });
    expect(customerProfileAttributesWithoutPhone(withPhone, settings)).toStrictEqual({
      email: 'ada@example.com',
      externalId: 'c-1',
      firstName: 'Ada',
      location: { address1: '1, Hauptstraße', city: 'Berlin', country: 'DE', zip: '10115' },
    });
  });
});
