import type { Customer } from '@commercetools/platform-sdk';
import { idListPages, type IdRange, type PageQuery } from '../clients/commercetools/keyset-pages';
import {
  findProfileIdsByEmail,
  profileImportMaxBytes,
  profileImportMaxProfiles,
  profileIndexesOfPointer,
  profileJobEnvelopeBytes,
  profileWire,
  submitProfileImportJob,
  type ProfileWire,
} from '../clients/klaviyo/profiles';
import { BatchSender, failuresInOrder, type ItemFailure } from '../engine/batch-sender';
import type { PageTicket } from '../engine/checkpoints';
import type { EffectiveRequest, Importer, ImportRun } from '../engine/importer';
import { readRanges } from '../engine/read-ranges';
import { sendSplittingRefusals } from '../engine/send-splitting-refusals';
import { customerProfileAttributes, customerProfileAttributesWithoutPhone } from '../mappers/customer-profile';
import type { ImporterDeps } from './importer-deps';
import { ProfileJobFollower, type SubmittedProfileJob, type UnfinishedProfileJob } from './profile-job-follower';
import { readerRanges, recordPages } from './record-reading';

/** Parallel readers over the id space for a full import. */
const readerCount = 4;
/**
 * Import jobs being submitted at once. One: a job goes out while the next fills, and each job held
 * is up to 5 MB of profiles and its body again.
 */
const jobsInFlight = 1;
/** The shape Klaviyo requires of phone numbers: +, country code, subscriber number. */
const e164 = /^\+[1-9]\d{6,14}$/;

/** Every commercetools customer becomes a Klaviyo profile, sent in bulk import jobs. */
export class CustomersImporter implements Importer {
  readonly type = 'customers';

  constructor(private readonly deps: ImporterDeps) {}

  initialRanges(request: EffectiveRequest): IdRange[] {
    return readerRanges(request, readerCount);
  }

  async importRecords(run: ImportRun): Promise<void> {
    const { klaviyo, settings } = this.deps;
    // Jobs submitted but not yet followed to the end go into every checkpoint, so a resumed run
    // still counts what they did.
    const follower = new ProfileJobFollower(
      klaviyo,
      run,
      (ids) => this.resendWithoutPhone(run, ids),
      (unfinishedJobs) => (run.importerState = unfinishedJobs.length > 0 ? { unfinishedJobs } : undefined),
    );
    const sender = new BatchSender<CustomerProfile>(
      {
        // Jobs as large as Klaviyo takes: its 10/s burst limit on jobs, not its 150 a minute, is what
        // paces a run, and a job is only its profiles' wire forms, so a large one costs little memory.
        maxItems: profileImportMaxProfiles,
        // Each profile is counted with the comma before it.
        maxBytes: profileImportMaxBytes - profileJobEnvelopeBytes,
        concurrency: jobsInFlight,
        sizeOf: (profile) => profile.json.length + 1,
      },
      async (profiles) => {
        const { jobs, failures } = await this.submit(run, profiles, false);
        for (const job of jobs) await follower.follow(job);
        return failures;
      },
      {
        // A profile settles one unit of its page; a refused one is counted first, to commit with it.
        answered: ({ customerId, page }, failure) => {
          if (!page) return;
          if (failure !== undefined) run.progress.failed(customerId, failure, page);
          run.tracker.settle(page);
        },
      },
    );

    // Jobs a stopped run submitted but did not follow to the end are followed first.
    for (const job of carriedOverJobs(run.importerState)) await follower.follow({ ...job, customerIds: [] });

    // Each page is mapped as soon as it arrives: its raw customers are gone before it waits for room.
    const queryCustomers = this.deps.commercetools.queryPage('customers', run.signal);
    const readMappedPage = async (query: PageQuery): Promise<MappedCustomer[]> => {
      const customers = await queryCustomers(query);
      const existingIds = settings.deduplicateProfilesByEmail
        ? await findProfileIdsByEmail(klaviyo, emailsOf(customers), run.signal)
        : undefined;
      return customers.map((customer) => this.mapped(customer, existingIds));
    };

    try {
      await readRanges(run, recordPages(run, readMappedPage), async (customers, rangeIndex) => {
        const ticket = run.tracker.openPage(rangeIndex, customers[customers.length - 1].id, customers.length);
        for (const { id, json, mappingFailure } of customers) {
          if (!json) {
            run.progress.failed(id, `could not be mapped: ${mappingFailure}`, ticket);
            run.tracker.settle(ticket);
            continue;
          }
          await sender.add({ json, customerId: id, page: ticket });
        }
      });
      await sender.flush();
    } finally {
      await sender.drain();
      await follower.drain();
    }
  }

  /** Maps one customer to its profile's wire form; one the mapper cannot handle is counted as failed, not lost. */
  private mapped(customer: Customer, existingIds?: Map<string, string>): MappedCustomer {
    try {
      const attributes = customerProfileAttributes(customer, this.deps.settings);
      // Klaviyo refuses numbers that are not E.164 and the profile would go out twice: leave them out
      // now. Numbers Klaviyo still refuses are resent without phone once its job reports them.
      if (attributes.phoneNumber && !e164.test(attributes.phoneNumber)) delete attributes.phoneNumber;
      // With deduplication on, the profile that already has this email is updated, not duplicated.
      const id = customer.email ? existingIds?.get(customer.email.toLowerCase()) : undefined;
      return { id: customer.id, json: profileWire({ id, attributes }).json };
    } catch (error) {
      return { id: customer.id, mappingFailure: (error as Error).message };
    }
  }

  /**
   * Submits the profiles as import jobs: a profile Klaviyo refuses is answered with Klaviyo's
   * reason (in the order given) and the others are submitted again without it.
   */
  private async submit(
    run: ImportRun,
    profiles: CustomerProfile[],
    withoutPhone: boolean,
  ): Promise<{ jobs: SubmittedProfileJob[]; failures: ItemFailure[] }> {
    const { accepted, refused } = await sendSplittingRefusals(
      profiles,
      (part) => submitProfileImportJob(this.deps.klaviyo, part, run.signal),
      { recordIndexesOfPointer: profileIndexesOfPointer, refusedWhat: 'Klaviyo refused the profile' },
    );
    if (refused.length > 0)
      run.logger.warn(
        { profiles: profiles.length, refused: refused.length },
        'Klaviyo refused profiles of an import job; the others were sent again',
      );
    const jobs = accepted.map(({ records, result: jobId }) => {
      // A resend is the same customers again: they were counted as sent the first time.
      if (!withoutPhone) run.progress.sent(records.length, pagesOf(records));
      return { jobId, customerIds: records.map((profile) => profile.customerId), withoutPhone };
    });
    return { jobs, failures: failuresInOrder(profiles, refused) };
  }

  /** The original module's fallback: a profile refused for its phone number goes again without it. */
  private async resendWithoutPhone(run: ImportRun, customerIds: string[]): Promise<SubmittedProfileJob[]> {
    const profiles: CustomerProfile[] = [];
    const missing = (id: string) => run.progress.failed(id, 'not found in commercetools');
    for await (const customers of idListPages(
      this.deps.commercetools.queryPage('customers', run.signal),
      customerIds,
      {},
      missing,
    )) {
      for (const customer of customers) {
        profiles.push({
          ...profileWire({ attributes: customerProfileAttributesWithoutPhone(customer, this.deps.settings) }),
          customerId: customer.id,
        });
      }
    }
    if (profiles.length === 0) return [];
    const { jobs, failures } = await this.submit(run, profiles, true);
    failures.forEach((failure, index) => {
      if (failure !== undefined) run.progress.failed(profiles[index].customerId, failure);
    });
    return jobs;
  }
}

/** A customer as read: its id, and its profile's wire form or why the mapper could not make one. */
interface MappedCustomer {
  id: string;
  json?: ProfileWire['json'];
  mappingFailure?: string;
}

/** A profile to import, in its wire form, and the customer it came from. */
interface CustomerProfile extends ProfileWire {
  customerId: string;
  /** The page the customer was read in; none for a resend without phone, which follows its job. */
  page?: PageTicket;
}

/** The page of each profile, when every one has one: their counts then commit with those pages. */
function pagesOf(profiles: CustomerProfile[]): PageTicket[] | undefined {
  const pages = profiles.flatMap((profile) => (profile.page ? [profile.page] : []));
  return pages.length === profiles.length ? pages : undefined;
}

function carriedOverJobs(state: unknown): UnfinishedProfileJob[] {
  const jobs = (state as { unfinishedJobs?: unknown } | undefined)?.unfinishedJobs;
  if (!Array.isArray(jobs)) return [];
  return (jobs as unknown[]).filter(
    (job): job is UnfinishedProfileJob => typeof (job as Partial<UnfinishedProfileJob> | null)?.jobId === 'string',
  );
}

function emailsOf(customers: Customer[]): string[] {
  return customers.flatMap((customer) => (customer.email ? [customer.email] : []));
}
