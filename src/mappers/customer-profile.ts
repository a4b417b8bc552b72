import type { Address, Customer } from '@commercetools/platform-sdk';
import type { ProfileLocation, ProfileUpsertQueryResourceObjectAttributes } from 'klaviyo-api';
import type { MappingSettings } from '../config/mapping-settings';
import { applyFieldFilter } from './field-filter';

/**
 * Klaviyo profile attributes for a commercetools customer, as the original module maps them.
 * Empty values are left out rather than sent as null or "": the bulk import updates existing
 * profiles, and an empty value there would erase what Klaviyo already holds.
 */
export function customerProfileAttributes(
  customer: Customer,
  settings: Pick<MappingSettings, 'customerCustomFields'>,
): ProfileUpsertQueryResourceObjectAttributes {
  const address = addressForProfile(customer);
  const properties = applyFieldFilter(customer.custom?.fields, settings.customerCustomFields);
  return withoutEmptyValues({
    email: customer.email,
    externalId: customer.id,
    firstName: customer.firstName,
    lastName: customer.lastName,
    title: customer.title,
    organization: customer.companyName,
    phoneNumber: address?.mobile || address?.phone,
    location: address && locationOf(address),
    properties: Object.keys(properties).length > 0 ? properties : undefined,
  });
}

/** The same attributes without the phone number, for a profile Klaviyo refused only for its phone. */
export function customerProfileAttributesWithoutPhone(
  customer: Customer,
  settings: Pick<MappingSettings, 'customerCustomFields'>,
): ProfileUpsertQueryResourceObjectAttributes {
  const { phoneNumber: _refused, ...attributes } = customerProfileAttributes(customer, settings);
  return attributes;
}

/**
 * Klaviyo keeps one location per profile. Like the original: the default billing address, else
 * the first billing address, else the first address. Unlike the original, an id that names no
 * address falls through to the next choice instead of leaving the profile without a location.
 */
function addressForProfile(customer: Customer): Address | undefined {
  const byId = (id: string | undefined) =>
    id === undefined ? undefined : customer.addresses.find((address) => address.id === id);
  return byId(customer.defaultBillingAddressId) ?? byId(customer.billingAddressIds?.[0]) ?? customer.addresses[0];
}

function locationOf(address: Address): ProfileLocation | undefined {
  const location = withoutEmptyValues({
    address1: joinPresent([address.apartment, address.building, address.streetNumber, address.streetName]),
    address2: joinPresent([address.additionalStreetInfo, address.additionalAddressInfo]),
    city: address.city,
    country: address.country,
    region: address.region,
    zip: address.postalCode,
  });
  return Object.keys(location).length > 0 ? location : undefined;
}

function joinPresent(parts: Array<string | undefined>): string {
  return parts.filter((part) => part).join(', ');
}

function withoutEmptyValues<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== '')) as T;
}
