import type { Customer } from '@commercetools/platform-sdk';
import { idListPages, type IdRange } from '../clients/commercetools/keyset-pages';
import {
  findProfileIdsByEmail,
  profileImportMaxBytes,
  profileIndexesOfPointer,
  submitProfileImportJob,
  type ProfileImportEntry,
} from '../clients/klaviyo/profiles';
import { BatchSender, failuresInOrder, settleWhenAnswered, type ItemFailure } from '../engine/batch-sender';
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
 * Profiles per import job, a quarter of Klaviyo's 10,000: a job is held whole while it fills and
 * while it is sent, so smaller jobs keep memory flat (peak RSS +15% from 10,000 to 100,000
 * customers, +36% with jobs of 10,000). Klaviyo's 150 jobs a minute still allow 6,250 profiles/s.
 */
const profilesPerJob = 2_500;
/** Import jobs being submitted at once; the rate limiter paces them anyway. */
const jobsInFlight = 2;
/** The shape Klaviyo requires of phone numbers: +, country code, subscriber number. */
const e164 = /^\+[1-9]\d{6,14}$/;
/** Room for the job's JSON:API envelope under Klaviyo's 5 MB. */
const envelopeBytes = 50_000;

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
        maxItems: profilesPerJob,
        maxBytes: profileImportMaxBytes - envelopeBytes,
        concurrency: jobsInFlight,
        sizeOf: (profile) => Buffer.byteLength(JSON.stringify(profile.entry)),
      },
      async (profiles) => {
        const { jobs, failures } = await this.submit(run, profiles, false);
        for (const job of jobs) await follower.follow(job);
        return failures;
      },
    );

    // Jobs a stopped run submitted but did not follow to the end are followed first.
    for (const job of carriedOverJobs(run.importerState)) await follower.follow({ ...job, customerIds: [] });

    try {
      await readRanges(
        run,
        recordPages(run, this.deps.commercetools.queryPage('customers', run.signal)),
        async (customers, rangeIndex) => {
          const existingIds = settings.deduplicateProfilesByEmail
            ? await findProfileIdsByEmail(klaviyo, emailsOf(customers), run.signal)
            : undefined;
          const ticket = run.tracker.openPage(rangeIndex, customers[customers.length - 1].id, customers.length);
          for (const customer of customers) {
            const entry = this.toEntry(run, customer, existingIds, ticket);
            if (!entry) {
              run.tracker.settle(ticket);
              continue;
            }
            const added = await sender.add({ entry, customerId: customer.id, page: ticket });
            settleWhenAnswered(added, run.tracker, ticket, (reason) =>
              run.progress.failed(customer.id, reason, ticket),
            );
          }
        },
      );
      await sender.flush();
    } finally {
      await sender.drain();
      await follower.drain();
    }
  }

  /** Maps one customer; one the mapper cannot handle is counted as failed, not lost. */
  private toEntry(
    run: ImportRun,
    customer: Customer,
    existingIds?: Map<string, string>,
    page?: PageTicket,
  ): ProfileImportEntry | undefined {
    try {
      const attributes = customerProfileAttributes(customer, this.deps.settings);
      // Klaviyo refuses numbers that are not E.164 and the profile would go out twice: leave them out
      // now. Numbers Klaviyo still refuses are resent without phone once its job reports them.
      if (attributes.phoneNumber && !e164.test(attributes.phoneNumber)) delete attributes.phoneNumber;
      // With deduplication on, the profile that already has this email is updated, not duplicated.
      const id = customer.email ? existingIds?.get(customer.email.toLowerCase()) : undefined;
      return { id, attributes };
    } catch (error) {
      run.progress.failed(customer.id, `could not be mapped: ${(error as Error).message}`, page);
      return undefined;
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
      (part) =>
        submitProfileImportJob(
          this.deps.klaviyo,
          part.map((profile) => profile.entry),
          run.signal,
        ),
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
          entry: { attributes: customerProfileAttributesWithoutPhone(customer, this.deps.settings) },
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

/** A profile to import and the customer it came from. */
interface CustomerProfile {
  entry: ProfileImportEntry;
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
  return Array.isArray(jobs)
    ? (jobs as unknown[]).filter(
        (job): job is UnfinishedProfileJob => typeof (job as { jobId?: unknown } | null)?.jobId === 'string',
      )
    : [];
}

function emailsOf(customers: Customer[]): string[] {
  return customers.flatMap((customer) => (customer.email ? [customer.email] : []));
}
