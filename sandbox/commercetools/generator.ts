/**
 * Deterministic generator of a commercetools project's data: the same options give the same data,
 * byte for byte. All randomness comes from one seeded PRNG; all dates are relative to `now`.
 *
 * The shapes follow the commercetools resources (typed by @commercetools/platform-sdk). Every
 * case the importers and mappers must handle appears for modest sizes already, because the
 * structural cases are cycled by index (a customer without addresses, an anonymous order, an
 * unpublished product …) while values are drawn at random.
 */
import type {
  Address,
  Attribute,
  AttributeDefinition,
  AttributeType,
  Category,
  CentPrecisionMoney,
  Channel,
  CustomFields,
  CustomLineItem,
  Customer,
  CustomerGroup,
  Image,
  LineItem,
  LocalizedString,
  Order,
  OrderState,
  Payment,
  Price,
  Product,
  ProductData,
  ProductType,
  ProductVariant,
  ProductVariantAvailability,
  State,
  Transaction,
  TransactionState,
  TransactionType,
  Type,
} from '@commercetools/platform-sdk';

export interface DatasetSizes {
  categories: number;
  products: number;
  customers: number;
  orders: number;
}

export interface GeneratorOptions extends DatasetSizes {
  seed: number | string;
  /** Reference time for createdAt and price validity windows; pass it to get identical data. */
  now?: Date;
}

/** Everything a seeded project holds, in the order it must be stored (referenced before referrer). */
export interface CommercetoolsDataset {
  types: Type[];
  customerGroups: CustomerGroup[];
  channels: Channel[];
  states: State[];
  productTypes: ProductType[];
  categories: Category[];
  products: Product[];
  customers: Customer[];
  /** The orders' payments; stored before the orders, which refer to them. */
  payments: Payment[];
  orders: Order[];
}

/** sfc32 seeded through a string hash: fast, small, and good enough for test data. */
class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    const text = String(seed);
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ code, 2654435761);
      h2 = Math.imul(h2 ^ code, 1597334677);
    }
    this.a = h1 >>> 0;
    this.b = h2 >>> 0;
    this.c = (h1 ^ h2) >>> 0;
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A UUID v4 (version and variant bits set) made from the PRNG. */
  uuid(): string {
    const [a, b, c, d] = [this.hexWord(), this.hexWord(), this.hexWord(), this.hexWord()];
    const variant = '89ab'[parseInt(c[0], 16) & 0x3];
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }

  /** 32 random bits as 8 hex digits. */
  private hexWord(): string {
    return (Math.floor(this.next() * 4294967296) >>> 0).toString(16).padStart(8, '0');
  }

  /** An 8-character id, the form commercetools gives addresses. */
  shortId(): string {
    return Math.floor(this.next() * 36 ** 8)
      .toString(36)
      .padStart(8, '0');
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
const YEAR_MS = 365 * DAY_MS;

const FIRST_NAMES = [
  'Anna',
  'Ben',
  'Clara',
  'David',
  'Emma',
  'Felix',
  'Greta',
  'Hugo',
  'Ines',
  'Jonas',
  'Lea',
  'Max',
  'Nora',
  'Oskar',
  'Paula',
  'Ravi',
  'Sofia',
  'Tom',
  'Yuki',
  'Zoë',
];
const LAST_NAMES = [
  'Müller',
  'Schmidt',
  'Smith',
  'García',
  'Rossi',
  'Dubois',
  'Jansen',
  'Nowak',
  'Kim',
  'Okafor',
  "O'Brien",
  'Schneider',
  'Fischer',
  'Weber',
  'Silva',
  'Tanaka',
];
const TITLES = ['Dr.', 'Prof.', 'Mr.', 'Ms.'];
const COMPANIES = ['Acme GmbH', 'Globex Ltd', 'Initech BV', 'Umbrella SA', 'Hooli Inc.'];
const CITIES: Array<{ city: string; country: string; postalCode: string; mobilePrefix: string }> = [
  { city: 'Berlin', country: 'DE', postalCode: '10115', mobilePrefix: '+49151' },
  { city: 'München', country: 'DE', postalCode: '80331', mobilePrefix: '+49160' },
  { city: 'Amsterdam', country: 'NL', postalCode: '1012 AB', mobilePrefix: '+31612' },
  { city: 'London', country: 'GB', postalCode: 'SW1A 1AA', mobilePrefix: '+44771' },
  { city: 'New York', country: 'US', postalCode: '10001', mobilePrefix: '+1212' },
  { city: 'Paris', country: 'FR', postalCode: '75001', mobilePrefix: '+33612' },
];
const STREETS = ['Hauptstraße', 'Main Street', 'Keizersgracht', 'Rue de Rivoli', 'Baker Street', 'Friedrichstraße'];
/** Numbers a mapper must reject: national formats, too short, words. */
const INVALID_PHONES = ['0151 2345678', '12345', 'call me', '+49 (0) 30 1234-567', '00'];

const CATEGORY_WORDS: Array<{ en: string; de?: string }> = [
  { en: 'Women', de: 'Damen' },
  { en: 'Men', de: 'Herren' },
  { en: 'Kids', de: 'Kinder' },
  { en: 'Shoes', de: 'Schuhe' },
  { en: 'Clothing', de: 'Kleidung' },
  { en: 'Accessories', de: 'Accessoires' },
  { en: 'Sneakers' },
  { en: 'Boots', de: 'Stiefel' },
  { en: 'Jackets', de: 'Jacken' },
  { en: 'Bags', de: 'Taschen' },
  { en: 'Home', de: 'Wohnen' },
  { en: 'Kitchen', de: 'Küche' },
  { en: 'Electronics', de: 'Elektronik' },
  { en: 'Audio' },
  { en: 'Outdoor' },
  { en: 'Sale', de: 'Angebote' },
];
const PRODUCT_ADJECTIVES: Array<{ en: string; de: string }> = [
  { en: 'Classic', de: 'Klassischer' },
  { en: 'Light', de: 'Leichter' },
  { en: 'Warm', de: 'Warmer' },
  { en: 'Urban', de: 'Urbaner' },
  { en: 'Compact', de: 'Kompakter' },
  { en: 'Premium', de: 'Edler' },
];
const PRODUCT_NOUNS: Array<{ en: string; de: string }> = [
  { en: 'Runner', de: 'Laufschuh' },
  { en: 'Parka', de: 'Parka' },
  { en: 'Backpack', de: 'Rucksack' },
  { en: 'Headphones', de: 'Kopfhörer' },
  { en: 'Kettle', de: 'Wasserkocher' },
  { en: 'Scarf', de: 'Schal' },
];
const COLORS = ['black', 'white', 'red', 'blue', 'green'];
const SIZES = ['S', 'M', 'L', 'XL'];
const ORDER_CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
const ORDER_STATES: OrderState[] = ['Open', 'Confirmed', 'Complete', 'Cancelled'];

const slugify = (text: string) =>
  text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const money = (currencyCode: string, centAmount: number): CentPrecisionMoney => ({
  type: 'centPrecision',
  currencyCode,
  centAmount,
  fractionDigits: currencyCode === 'JPY' ? 0 : 2,
});

/** The resources the generated ones refer to; drawn first, so their ids do not shift with sizes. */
interface Supporting {
  types: Type[];
  customerGroups: CustomerGroup[];
  channels: Channel[];
  states: State[];
  productTypes: ProductType[];
}

export function generateDataset(options: GeneratorOptions): CommercetoolsDataset {
  const random = new SeededRandom(options.seed);
  const now = (options.now ?? new Date()).getTime();
  const timestamp = (ms: number) => new Date(ms).toISOString();
  const base = (createdMs: number) => ({
    id: random.uuid(),
    version: 1,
    createdAt: timestamp(createdMs),
    lastModifiedAt: timestamp(createdMs),
  });
  const pastTime = (maxAgeMs: number) => now - random.int(DAY_MS, maxAgeMs);
  // Valid phone numbers come from a serial: Klaviyo treats a phone number as an identity, so two
  // customers sharing one would merge into one profile.
  let phoneSerial = 1_000_000;

  const supporting = generateSupporting();
  const categories = generateCategories();
  const products = generateProducts();
  const customers = generateCustomers();
  const orders = generateOrders();
  const payments = generatePayments();
  return { ...supporting, categories, products, customers, payments, orders };

  function generateSupporting(): Supporting {
    const created = now - 5 * YEAR_MS;
    const stringField = (name: string, label: string) => ({
      name,
      label: { en: label },
      required: false,
      type: { name: 'String' as const },
      inputHint: 'SingleLine' as const,
    });
    return {
      types: [
        {
          ...base(created),
          key: 'customer-profile',
          name: { en: 'Customer profile' },
          resourceTypeIds: ['customer'],
          fieldDefinitions: [
            stringField('loyaltyTier', 'Loyalty tier'),
            { ...stringField('newsletterOptIn', 'Newsletter opt-in'), type: { name: 'Boolean' } },
            { ...stringField('loyaltyPoints', 'Loyalty points'), type: { name: 'Number' } },
          ],
        },
        {
          ...base(created),
          key: 'order-details',
          name: { en: 'Order details' },
          resourceTypeIds: ['order'],
          fieldDefinitions: [stringField('salesChannel', 'Sales channel'), stringField('giftMessage', 'Gift message')],
        },
      ],
      customerGroups: [
        { ...base(created), key: 'b2b', name: 'B2B' },
        { ...base(created), key: 'vip', name: 'VIP' },
      ],
      channels: [
        { ...base(created), key: 'warehouse-berlin', roles: ['InventorySupply'], name: { en: 'Warehouse Berlin' } },
        {
          ...base(created),
          key: 'store-amsterdam',
          roles: ['InventorySupply', 'ProductDistribution'],
          name: { en: 'Store Amsterdam' },
        },
      ],
      states: [
        {
          ...base(created),
          key: 'Initial',
          type: 'LineItemState',
          name: { en: 'Initial' },
          initial: true,
          builtIn: true,
        },
      ],
      productTypes: [
        {
          ...base(created),
          key: 'apparel',
          name: 'Apparel',
          description: 'Clothing and shoes',
          attributes: [
            attributeDefinition('color', 'Color', { name: 'text' }),
            attributeDefinition('size', 'Size', {
              name: 'enum',
              values: SIZES.map((size) => ({ key: size, label: size })),
            }),
          ],
        },
        {
          ...base(created),
          key: 'electronics',
          name: 'Electronics',
          description: 'Devices',
          attributes: [
            attributeDefinition('brand', 'Brand', { name: 'text' }),
            attributeDefinition('warrantyYears', 'Warranty (years)', { name: 'number' }),
          ],
        },
        { ...base(created), key: 'generic', name: 'Generic', description: 'Anything else', attributes: [] },
      ],
    };
  }

  function generateCategories(): Category[] {
    const generated: Category[] = [];
    for (let index = 0; index < options.categories; index++) {
      // The first three form a chain, so the tree is three levels deep as soon as there are three;
      // the rest hang below a random earlier category at most four levels deep, or are roots.
      const candidates = generated.filter((category) => category.ancestors.length < 3);
      const parent =
        index === 0
          ? undefined
          : index < 3
            ? generated[index - 1]
            : random.chance(0.15)
              ? undefined
              : random.pick(candidates);
      const word = CATEGORY_WORDS[index % CATEGORY_WORDS.length];
      const round = Math.floor(index / CATEGORY_WORDS.length);
      const suffix = round === 0 ? '' : ` ${round + 1}`;
      const name: LocalizedString = { en: `${word.en}${suffix}` };
      const slug: LocalizedString = { en: `${slugify(word.en)}-${index}` };
      if (word.de) {
        name.de = `${word.de}${suffix}`;
        slug.de = `${slugify(word.de)}-${index}`;
      }
      generated.push({
        ...base(pastTime(5 * YEAR_MS)),
        key: `category-${index}`,
        name,
        slug,
        description: index % 3 === 0 ? { en: `All about ${word.en.toLowerCase()}.` } : undefined,
        orderHint: `0.${String(index + 1).padStart(4, '0')}`,
        parent: parent && { typeId: 'category', id: parent.id },
        ancestors: parent ? [...parent.ancestors, { typeId: 'category', id: parent.id }] : [],
        assets: [],
      });
    }
    return generated;
  }

  function generateProducts(): Product[] {
    const [apparel, electronics, generic] = supporting.productTypes;
    const generated: Product[] = [];
    for (let index = 0; index < options.products; index++) {
      const productType = [apparel, electronics, generic][index % 3];
      const adjective = random.pick(PRODUCT_ADJECTIVES);
      const noun = random.pick(PRODUCT_NOUNS);
      const english = `${adjective.en} ${noun.en} ${index}`;
      const onlyEnglish = index % 4 === 1;
      const name: LocalizedString = onlyEnglish
        ? { en: english }
        : { en: english, de: `${adjective.de} ${noun.de} ${index}` };
      const slug: LocalizedString = Object.fromEntries(
        Object.entries(name).map(([locale, text]) => [locale, slugify(text)]),
      );
      const description: LocalizedString | undefined =
        index % 5 === 2
          ? undefined
          : onlyEnglish
            ? { en: `The ${english.toLowerCase()}.` }
            : { en: `The ${english.toLowerCase()}.`, de: `Der ${name.de}.` };
      const categoryCount = categories.length === 0 ? 0 : index % 6 === 5 ? 0 : random.int(1, 2);
      const productCategories = Array.from({ length: categoryCount }, () => random.pick(categories));
      const extraVariants = index % 3 === 0 ? 0 : random.int(1, 3);
      const variants = Array.from({ length: extraVariants + 1 }, (_, variantIndex) =>
        generateVariant(index, variantIndex + 1, productType),
      );
      const data: ProductData = {
        name,
        slug,
        description,
        categories: [...new Set(productCategories.map((category) => category.id))].map((id) => ({
          typeId: 'category',
          id,
        })),
        categoryOrderHints: {},
        masterVariant: variants[0],
        variants: variants.slice(1),
        searchKeywords: {},
        attributes: [],
      };
      const published = index % 5 !== 3;
      const hasStagedChanges = published && index % 7 === 6;
      generated.push({
        ...base(pastTime(4 * YEAR_MS)),
        key: `product-${index}`,
        productType: { typeId: 'product-type', id: productType.id },
        masterData: {
          published,
          hasStagedChanges,
          current: data,
          staged: hasStagedChanges ? { ...data, name: { ...name, en: `${name.en} (new)` } } : data,
        },
        priceMode: 'Embedded',
      });
    }
    return generated;
  }

  function generateVariant(productIndex: number, variantId: number, productType: ProductType): ProductVariant {
    const imageCase = productIndex % 5;
    // Case 4: no images anywhere; case 3: images only on the extra variants.
    const hasImages = imageCase < 3 || (imageCase === 3 && variantId > 1);
    return {
      id: variantId,
      sku: `SKU-${String(productIndex).padStart(6, '0')}-${variantId}`,
      key: `product-${productIndex}-variant-${variantId}`,
      prices: generatePrices(productIndex),
      images: hasImages ? generateImages(productIndex, variantId) : [],
      attributes: generateAttributes(productType),
      assets: [],
      availability: generateAvailability(productIndex),
    };
  }

  function generatePrices(productIndex: number): Price[] {
    if (productIndex % 10 === 9) return [];
    const baseCents = random.int(5, 500) * 100 - 1;
    const price = (currencyCode: string, centAmount: number, extra: Partial<Price> = {}): Price => ({
      id: random.uuid(),
      value: money(currencyCode, centAmount),
      ...extra,
    });
    const prices = [
      price('EUR', baseCents),
      price('USD', Math.round(baseCents * 1.1), { country: 'US' }),
      price('GBP', Math.round(baseCents * 0.85), { country: 'GB' }),
    ];
    if (productIndex % 4 === 0) prices.push(price('JPY', Math.round(baseCents * 1.6)));
    if (productIndex % 3 === 1) {
      prices.push(
        price('EUR', Math.round(baseCents * 0.8), {
          country: 'DE',
          customerGroup: { typeId: 'customer-group', id: supporting.customerGroups[0].id },
        }),
      );
    }
    if (productIndex % 4 === 2) {
      // Expired, running and upcoming sale prices around `now`.
      prices.push(
        price('EUR', Math.round(baseCents * 0.5), {
          validFrom: timestamp(now - 400 * DAY_MS),
          validUntil: timestamp(now - 30 * DAY_MS),
        }),
        price('EUR', Math.round(baseCents * 0.7), {
          validFrom: timestamp(now - 10 * DAY_MS),
          validUntil: timestamp(now + 20 * DAY_MS),
        }),
        price('EUR', Math.round(baseCents * 0.9), {
          validFrom: timestamp(now + 30 * DAY_MS),
          validUntil: timestamp(now + 90 * DAY_MS),
        }),
      );
    }
    return prices;
  }

  function generateImages(productIndex: number, variantId: number): Image[] {
    return Array.from({ length: random.int(1, 2) }, (_, imageIndex) => ({
      url: `https://images.example.com/products/${productIndex}/${variantId}-${imageIndex}.jpg`,
      dimensions: { w: 1200, h: 1600 },
      label: imageIndex === 0 ? 'front' : undefined,
    }));
  }

  function generateAttributes(productType: ProductType): Attribute[] {
    switch (productType.key) {
      case 'apparel':
        return [
          { name: 'color', value: random.pick(COLORS) },
          { name: 'size', value: { key: random.pick(SIZES), label: random.pick(SIZES) } },
        ];
      case 'electronics':
        return [
          { name: 'brand', value: random.pick(['Sonix', 'Volt', 'Nordkap']) },
          { name: 'warrantyYears', value: random.int(1, 3) },
        ];
      default:
        return [];
    }
  }

  function generateAvailability(productIndex: number): ProductVariantAvailability | undefined {
    const onStock = () => {
      const availableQuantity = random.int(0, 40);
      return { isOnStock: availableQuantity > 0, availableQuantity };
    };
    switch (productIndex % 3) {
      case 0:
        return onStock();
      case 1:
        return {
          ...onStock(),
          channels: Object.fromEntries(
            supporting.channels.map((channel) => [channel.id, { ...onStock(), id: random.uuid(), version: 1 }]),
          ),
        };
      default:
        return undefined;
    }
  }

  function generateAddress(firstName: string, lastName: string, index: number): Address & { id: string } {
    const place = random.pick(CITIES);
    const validMobile = `${place.mobilePrefix}${phoneSerial++}`;
    const validPhone = `${place.mobilePrefix.slice(0, 3)}30${phoneSerial++}`;
    return {
      id: random.shortId(),
      key: index % 5 === 0 ? `address-${random.shortId()}` : undefined,
      firstName,
      lastName,
      streetName: random.pick(STREETS),
      streetNumber: String(random.int(1, 200)),
      postalCode: place.postalCode,
      city: place.city,
      country: place.country,
      company: index % 4 === 0 ? random.pick(COMPANIES) : undefined,
      // Valid E.164, invalid, or absent, in both fields, so a mapper sees every combination.
      phone: [validPhone, random.pick(INVALID_PHONES), undefined][index % 3],
      mobile: [validMobile, undefined, random.pick(INVALID_PHONES), validMobile][index % 4],
    };
  }

  function generateCustomers(): Customer[] {
    const [profileType] = supporting.types;
    const generated: Customer[] = [];
    for (let index = 0; index < options.customers; index++) {
      const firstName = random.pick(FIRST_NAMES);
      const lastName = random.pick(LAST_NAMES);
      const addressCount = [0, 1, 3, 1, 2][index % 5];
      const addresses = Array.from({ length: addressCount }, (_, n) => generateAddress(firstName, lastName, index + n));
      const defaultBilling = addresses.length > 0 && index % 2 === 0 ? addresses[addresses.length - 1] : undefined;
      const custom: CustomFields | undefined =
        index % 3 === 2
          ? undefined
          : {
              type: { typeId: 'type', id: profileType.id },
              fields: {
                loyaltyTier: random.pick(['bronze', 'silver', 'gold']),
                newsletterOptIn: random.chance(0.5),
                loyaltyPoints: random.int(0, 5000),
              },
            };
      generated.push({
        ...base(pastTime(5 * YEAR_MS)),
        customerNumber: `C${String(index + 1).padStart(7, '0')}`,
        email: `${slugify(firstName)}.${slugify(lastName)}.${index}@example.com`,
        // Names are optional in commercetools; every 11th customer has none.
        firstName: index % 11 === 10 ? undefined : firstName,
        lastName: index % 11 === 10 ? undefined : lastName,
        title: index % 4 === 0 ? random.pick(TITLES) : undefined,
        companyName: index % 6 === 0 ? random.pick(COMPANIES) : undefined,
        dateOfBirth: index % 2 === 0 ? `19${random.int(50, 99)}-0${random.int(1, 9)}-1${random.int(0, 9)}` : undefined,
        addresses,
        defaultBillingAddressId: defaultBilling?.id,
        defaultShippingAddressId: addresses.length > 0 && index % 3 !== 1 ? addresses[0].id : undefined,
        billingAddressIds: addresses
          .filter((address, n) => address === defaultBilling || n % 2 === 1)
          .map((address) => address.id),
        shippingAddressIds: addresses.filter((_, n) => n % 2 === 0).map((address) => address.id),
        isEmailVerified: index % 4 !== 3,
        customerGroup:
          index % 8 === 0 ? { typeId: 'customer-group', id: random.pick(supporting.customerGroups).id } : undefined,
        customerGroupAssignments: [],
        custom,
        locale: random.pick(['en', 'de', 'en-GB', undefined]),
        stores: [],
        authenticationMode: 'Password',
      });
    }
    return generated;
  }

  function generateOrders(): Order[] {
    const [, orderType] = supporting.types;
    const initialState = supporting.states[0];
    const generated: Order[] = [];
    let previousCreatedMs = now;
    for (let index = 0; index < options.orders; index++) {
      // Every 50th order shares its creation time with the one before (bulk imports do that), so a
      // sort on createdAt needs the id as tie-breaker.
      const createdMs = index % 50 === 49 ? previousCreatedMs : pastTime(4 * YEAR_MS);
      previousCreatedMs = createdMs;
      const currencyCode = random.pick(ORDER_CURRENCIES);
      const buyer = orderBuyer(index);
      const lineItems =
        products.length === 0 ? [] : Array.from({ length: random.int(1, 4) }, () => generateLineItem(currencyCode));
      const customLineItems = lineItems.length === 0 || index % 7 === 0 ? [generateCustomLineItem(currencyCode)] : [];
      const totalCents = [...lineItems, ...customLineItems].reduce((sum, item) => sum + item.totalPrice.centAmount, 0);
      const shippingAddress =
        buyer.address ?? generateAddress(random.pick(FIRST_NAMES), random.pick(LAST_NAMES), index);
      const orderState = ORDER_STATES[index % ORDER_STATES.length];
      generated.push({
        ...base(createdMs),
        orderNumber: `ORD-${String(index + 1).padStart(8, '0')}`,
        customerId: buyer.customer?.id,
        customerEmail: buyer.email,
        anonymousId: buyer.customer || !buyer.email ? undefined : random.uuid(),
        lineItems,
        customLineItems,
        totalPrice: money(currencyCode, totalCents),
        shippingAddress: index % 13 === 12 ? undefined : shippingAddress,
        billingAddress: index % 5 === 4 ? undefined : { ...shippingAddress, id: random.shortId() },
        shippingMode: 'Single',
        shipping: [],
        itemShippingAddresses: [],
        refusedGifts: [],
        discountCodes: [],
        orderState,
        shipmentState: orderState === 'Complete' ? 'Shipped' : undefined,
        paymentState: orderState === 'Cancelled' ? 'Failed' : 'Paid',
        syncInfo: [],
        returnInfo: [],
        origin: 'Customer',
        taxMode: 'Platform',
        taxRoundingMode: 'HalfEven',
        taxCalculationMode: 'LineItemLevel',
        inventoryMode: 'None',
        lastMessageSequenceNumber: 1,
        completedAt: orderState === 'Complete' ? timestamp(createdMs + 3 * DAY_MS) : undefined,
        custom:
          index % 3 === 0
            ? {
                type: { typeId: 'type', id: orderType.id },
                fields: {
                  salesChannel: random.pick(['web', 'app', 'store']),
                  giftMessage: index % 6 === 0 ? 'Happy birthday!' : undefined,
                },
              }
            : undefined,
      });
    }
    return generated;

    function orderBuyer(index: number): { customer?: Customer; email?: string; address?: Address } {
      const kind = index % 20;
      if (kind === 0) return {};
      if (kind <= 6 || customers.length === 0) {
        return { email: `guest.${random.int(1, 1_000_000)}@example.org` };
      }
      const customer = random.pick(customers);
      const address =
        customer.addresses.find((candidate) => candidate.id === customer.defaultBillingAddressId) ??
        customer.addresses[0];
      return { customer, email: customer.email, address };
    }

    function generateLineItem(currencyCode: string): LineItem {
      const product = random.pick(products);
      const data = product.masterData.current;
      const variant = random.pick([data.masterVariant, ...data.variants]);
      const listed = variant.prices?.find(
        (price) => price.value.currencyCode === currencyCode && !price.customerGroup && !price.validFrom,
      );
      const price: Price = listed ?? { id: random.uuid(), value: money(currencyCode, random.int(5, 300) * 100 - 1) };
      const quantity = random.int(1, 3);
      return {
        id: random.uuid(),
        productId: product.id,
        productKey: product.key,
        name: data.name,
        productSlug: data.slug,
        productType: { typeId: 'product-type', id: product.productType.id },
        variant: {
          id: variant.id,
          sku: variant.sku,
          key: variant.key,
          prices: [],
          images: variant.images,
          attributes: variant.attributes,
        },
        price,
        quantity,
        totalPrice: money(currencyCode, price.value.centAmount * quantity),
        discountedPricePerQuantity: [],
        taxedPricePortions: [],
        state: [{ quantity, state: { typeId: 'state', id: initialState.id } }],
        perMethodTaxRate: [],
        priceMode: 'Platform',
        lineItemMode: 'Standard',
      };
    }

    function generateCustomLineItem(currencyCode: string): CustomLineItem {
      const [label, slug] = random.pick([
        ['Gift wrapping', 'gift-wrapping'],
        ['Shipping insurance', 'shipping-insurance'],
        ['Engraving', 'engraving'],
      ]);
      const cents = random.int(2, 15) * 100 - 1;
      return {
        id: random.uuid(),
        name: { en: label },
        money: money(currencyCode, cents),
        totalPrice: money(currencyCode, cents),
        slug,
        quantity: 1,
        state: [{ quantity: 1, state: { typeId: 'state', id: initialState.id } }],
        taxedPricePortions: [],
        perMethodTaxRate: [],
        discountedPricePerQuantity: [],
        priceMode: 'Standard',
      };
    }
  }

  /**
   * Payments of the orders, linked into each order's `paymentInfo`, cycled by order index so
   * modest sizes cover every case: no payment; charged only; a partial refund; a refund still
   * pending; a failed refund; a full refund; two payments each partly refunded, one of them with a
   * failed refund too; several successful refunds of one payment beside a pending one. Drawn after
   * everything else, so the rest of the data is the same as without them. Lean on purpose: 100,000
   * orders bring 100,000 payments.
   */
  function generatePayments(): Payment[] {
    const generated: Payment[] = [];
    for (const [index, order] of orders.entries()) {
      const createdMs = Date.parse(order.createdAt);
      const { currencyCode, centAmount: total } = order.totalPrice;
      const amount = (centAmount: number) => money(currencyCode, centAmount);
      // Whole seconds within 60 days after the order and before now, as Klaviyo records times.
      const afterOrder = () =>
        Math.floor((createdMs + random.int(60_000, Math.min(60 * DAY_MS, now - createdMs - 60_000))) / 1000) * 1000;
      const transaction = (
        type: TransactionType,
        state: TransactionState,
        value: CentPrecisionMoney,
        atMs = afterOrder(),
      ): Transaction => ({
        id: random.uuid(),
        timestamp: timestamp(atMs),
        type,
        amount: value,
        state,
      });
      const charge = (centAmount: number) => transaction('Charge', 'Success', amount(centAmount), createdMs);
      const part = (centAmount: number) => Math.max(1, Math.round((centAmount * random.int(10, 90)) / 100));
      const payment = (planned: number, transactions: Transaction[]): Payment => ({
        ...base(createdMs),
        amountPlanned: amount(planned),
        paymentMethodInfo: { paymentInterface: 'sandbox-psp', method: 'CREDIT_CARD' },
        paymentStatus: {},
        transactions,
        interfaceInteractions: [],
      });
      const half = Math.floor(total / 2);
      const cases: Array<() => Payment[]> = [
        () => [],
        () => [payment(total, [charge(total)])],
        () => [payment(total, [charge(total), transaction('Refund', 'Success', amount(part(total)))])],
        () => [payment(total, [charge(total), transaction('Refund', 'Pending', amount(part(total)))])],
        () => [payment(total, [charge(total), transaction('Refund', 'Failure', amount(total))])],
        () => [payment(total, [charge(total), transaction('Refund', 'Success', amount(total))])],
        () => [
          payment(half, [charge(half), transaction('Refund', 'Success', amount(part(half)))]),
          payment(total - half, [
            charge(total - half),
            transaction('Refund', 'Failure', amount(total - half)),
            transaction('Refund', 'Success', amount(part(total - half))),
          ]),
        ],
        () => [
          payment(total, [
            charge(total),
            transaction('Refund', 'Success', amount(part(half))),
            transaction('Refund', 'Success', amount(part(half))),
            transaction('Refund', 'Pending', amount(1)),
          ]),
        ],
        () => [payment(total, [charge(total)])],
        () => [payment(total, [charge(total)])],
      ];
      const payments = cases[index % cases.length]();
      if (payments.length === 0) continue;
      // The generator owns the orders it just made, so they are completed in place.
      (order as { paymentInfo?: Order['paymentInfo'] }).paymentInfo = {
        payments: payments.map(({ id }) => ({ typeId: 'payment', id })),
      };
      generated.push(...payments);
    }
    return generated;
  }
}

function attributeDefinition(name: string, label: string, type: AttributeType): AttributeDefinition {
  return {
    name,
    label: { en: label },
    type,
    isRequired: false,
    attributeConstraint: 'None',
    inputHint: 'SingleLine',
    isSearchable: true,
    level: 'Variant',
  };
}
