import type { Order } from '@commercetools/platform-sdk';
import { CategoryCache } from '../clients/commercetools/category-cache';
import {
  idListPages,
  keysetPages,
  quote,
  splitIdSpace,
  type IdRange,
  type PageQuery,
} from '../clients/commercetools/keyset-pages';
import { ProductCategories } from '../clients/commercetools/product-categories';
import { timeBoundPredicates } from '../clients/commercetools/time-bounds';
import {
  bulkCreateEvents,
  eventBulkCreateLimits,
  eventIndexesOfPointer,
  eventLimitViolation,
  eventRequestEnvelopeBytes,
  wireEvents,
  type WireEvent,
} from '../clients/klaviyo/events';
import { BatchSender, failuresInOrder } from '../engine/batch-sender';
import type { EffectiveRequest, Importer, ImportRun } from '../engine/importer';
import { EngineRefusal } from '../engine/refusal';
import { readRanges } from '../engine/read-ranges';
import { timeBoundsOf } from '../engine/run-types';
import type { PageTicket } from '../engine/checkpoints';
import type { PageCounts } from '../engine/run-progress';
import { sendSplittingRefusals } from '../engine/send-splitting-refusals';
import { orderEvents, type OrderEventsContext } from '../mappers/order-events';
import type { ImporterDeps } from './importer-deps';

/** Parallel readers over the id space for every mode but `ids`. */
const readerCount = 2;
/**
 * Orders per page. An order with its payments expanded is several KB: with pages of 250 and two
 * readers, the service held 40 to 60 MiB less at its peak than with four readers of 500 (measured
 * with `npm run bench`), and it still reads faster than Klaviyo's event limits let the events out.
 */
const orderPageSize = 250;
/** Bulk requests in flight; Klaviyo's 10/s and 150/min for the operation pace them anyway. */
const requestsInFlight = 2;
/**
 * Klaviyo's 5 MB less the request's envelope: each event is counted in its wire form with its own
 * profile and entry, at least what it adds to the body (events of one buyer share an entry).
 */
const maxRequestBytes = eventBulkCreateLimits.bytes - eventRequestEnvelopeBytes;
/** Refunded Order reads the payments' transactions; expanded in the order query, they cost no request. */
const paymentsExpansion = 'paymentInfo.payments[*]';

/** An event in its wire form, serialized once for the limit check, the batching and the request. */
interface OrderWireEvent extends WireEvent {
  order: OrderOutcome;
}

/**
 * One order while its events are out: an order whose events Klaviyo refuses in several places is
 * still one failed order. Its events hold it, so it is gone with them.
 */
class OrderOutcome {
  private failed = false;
  /** The page's ticket, once it is opened (after the page's events are counted); each event settles one unit. */
  ticket?: PageTicket;

  constructor(
    readonly id: string,
    private readonly run: ImportRun,
    /** The page the order was read in: its events' counts and its failure are committed with that page. */
    readonly page: PageCounts,
  ) {}

  fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.run.progress.failed(this.id, reason, this.page);
  }

  settleOne(): void {
    if (this.ticket) this.run.tracker.settle(this.ticket);
  }
}

/**
 * Every commercetools order becomes its Klaviyo events (Placed Order, Ordered Product per line,
 * Fulfilled and Cancelled Order by state, Refunded Order by payments), sent in bulk event create
 * requests of up to 1,000. Each page of 500 orders, their payments expanded, costs one query, plus
 * one per 100 products not seen before in the run.
 */
export class OrdersImporter implements Importer {
  readonly type = 'orders';

  constructor(private readonly deps: ImporterDeps) {}

  initialRanges(request: EffectiveRequest): IdRange[] {
    if (request.mode === 'deleteAll')
      throw new EngineRefusal('not-supported', 'Orders cannot be deleted from Klaviyo by this service.');
    if (request.mode === 'ids') return [{}];
    const ranges = splitIdSpace(readerCount);
    if (request.mode !== 'startId') return ranges;
    // A range that ends before the start id holds nothing to import.
    return ranges.filter((range) => range.beforeId === undefined || range.beforeId > request.startId);
  }

  async importRecords(run: ImportRun): Promise<void> {
    const { commercetools, klaviyo, settings, config } = this.deps;
    const categories = await CategoryCache.load(commercetools, run.signal);
    const productCategories = new ProductCategories(commercetools);
    run.logger.info({ categories: categories.size, readers: run.ranges.length }, 'Categories loaded');

    const sender = new BatchSender<OrderWireEvent>(
      {
        maxItems: eventBulkCreateLimits.events,
        maxBytes: maxRequestBytes,
        concurrency: requestsInFlight,
        sizeOf: (event) => event.bytes,
      },
      async (events) => {
        const { accepted, refused } = await sendSplittingRefusals(
          events,
          (part) => bulkCreateEvents(klaviyo, part, { backfill: settings.backfillEvents, signal: run.signal }),
          {
            recordIndexesOfPointer: (pointer, part) => eventIndexesOfPointer(part, pointer),
            refusedWhat: 'Klaviyo refused the event',
          },
        );
        const pages = accepted.flatMap((part) => part.records.map((event) => event.order.page));
        run.progress.sent(pages.length, pages);
        run.progress.succeeded(pages.length, pages);
        if (refused.length > 0) {
          run.logger.warn(
            { events: events.length, refused: refused.length },
            'Klaviyo refused events of a bulk request; the others were sent again',
          );
        }
        return failuresInOrder(events, refused);
      },
      {
        // An event settles one unit of its page; a refused one fails its order first, to commit with it.
        answered: ({ order }, failure) => {
          if (failure !== undefined) order.fail(failure);
          order.settleOne();
        },
      },
    );

    let warnedOfUnexpandedPayments = false;
    // Each page is mapped as soon as it arrives: its raw orders (payments expanded) are gone before
    // it waits for room in a request.
    const mapPage = async (orders: Order[]): Promise<MappedOrder[]> => {
      // A payment commercetools did not expand (it may leave out what the client's scopes do not
      // cover) hides its refunds: said once per run, since every page would say the same.
      const unexpanded = orders.find((order) => order.paymentInfo?.payments.some((payment) => !payment.obj));
      if (unexpanded && !warnedOfUnexpandedPayments) {
        warnedOfUnexpandedPayments = true;
        run.logger.warn(
          { orderId: unexpanded.id },
          'commercetools did not expand the payments of an order, so its refunds cannot be sent: does the API client have view_payments?',
        );
      }
      // The products of all the page's line items in one go, never per order.
      const productIds = orders.flatMap((order) => order.lineItems.map((lineItem) => lineItem.productId));
      const products = await productCategories.byIds(productIds, run.signal);
      const context: OrderEventsContext = {
        settings,
        preferredLocale: config.preferredLocale,
        productById: (id) => products.get(id),
        categoryById: categories.byId,
      };
      return orders.map((order) => mappedOrder(order, context));
    };

    try {
      await readRanges(
        run,
        (range) => this.orderPages(run, range, mapPage),
        async (orders, rangeIndex, page) => {
          const eventsPerOrder = orders.map((order) => eventsOf(run, order, page));
          // One unit per event, and one for each order without events, so the page commits when all are settled.
          const units = eventsPerOrder.reduce((sum, events) => sum + Math.max(1, events.length), 0);
          const ticket = run.tracker.openPage(rangeIndex, orders[orders.length - 1].id, units);
          for (const events of eventsPerOrder) {
            if (events.length === 0) run.tracker.settle(ticket);
            else events[0].order.ticket = ticket;
            for (const event of events) await sender.add(event);
          }
        },
      );
      await sender.flush();
    } finally {
      // Requests Klaviyo accepts after a stop or failure must still reach the checkpoint.
      await sender.drain();
    }
  }

  private orderPages(
    run: ImportRun,
    range: IdRange,
    mapPage: (orders: Order[]) => Promise<MappedOrder[]>,
  ): AsyncIterable<MappedOrder[]> {
    const { commercetools } = this.deps;
    const queryOrders = commercetools.queryPage('orders', run.signal);
    const fetchPage = (query: PageQuery) => queryOrders({ ...query, expand: [paymentsExpansion] }).then(mapPage);
    const { request } = run;
    switch (request.mode) {
      case 'ids':
        return idListPages(fetchPage, request.ids, range, (id) => run.progress.notFound(id), orderPageSize);
      case 'startId':
        // The import reads in id order, so "from startId" means every id from it on, itself included.
        return keysetPages(fetchPage, range, { pageSize: orderPageSize, where: [`id >= ${quote(request.startId)}`] });
      // deleteAll is refused by initialRanges; listed so that a new mode must say how it reads.
      case 'all':
      case 'since':
      case 'window':
      case 'deleteAll':
        return keysetPages(fetchPage, range, {
          pageSize: orderPageSize,
          where: timeBoundPredicates(timeBoundsOf(request)),
        });
    }
  }
}

/** An order as read: its events in their wire form, or why it has none. */
type MappedOrder = { id: string } & ({ events: WireEvent[] } | { skipped: string } | { failed: string });

/** Maps one order. A mapper error or an event Klaviyo would refuse fails this order only, not its request. */
function mappedOrder(order: Order, context: OrderEventsContext): MappedOrder {
  let result: ReturnType<typeof orderEvents>;
  try {
    result = orderEvents(order, context);
  } catch (error) {
    return { id: order.id, failed: `could not be mapped: ${(error as Error).message}` };
  }
  if (result.kind === 'skipped') return { id: order.id, skipped: result.reason };
  const events = wireEvents(result.profile, result.events);
  for (const [index, event] of result.events.entries()) {
    const violation = eventLimitViolation(event, events[index].bytes, maxRequestBytes);
    if (violation) return { id: order.id, failed: `${event.metricName} not sent: ${violation}` };
  }
  return { id: order.id, events };
}

/** The order's events to send; none for an order that is skipped or failed, counted so with its page. */
function eventsOf(run: ImportRun, order: MappedOrder, page: PageCounts): OrderWireEvent[] {
  if ('failed' in order) {
    run.progress.failed(order.id, order.failed, page);
    return [];
  }
  if ('skipped' in order) {
    run.progress.skipped(order.id, order.skipped, page);
    return [];
  }
  const outcome = new OrderOutcome(order.id, run, page);
  return order.events.map((event) => ({ ...event, order: outcome }));
}
