import type { Customer } from '@commercetools/platform-sdk';
import { idListPages, type IdRange } from '../clients/commercetools/keyset-pages';
import {
  findProfileIdsByEmail,
  profileImportMaxBytes,
  submitProfileImportJob,
  type ProfileImportEntry,
} from '../clients/klaviyo/profiles';
import { BatchSender } from '../engine/batch-sender';
import type { PageTicket } from '../engine/checkpoints';
import type { EffectiveRequest, Importer, ImportRun } from '../engine/importer';
import { readRanges } from '../engine/read-ranges';
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

  async run(run: ImportRun): Promise<void> {
    const { klaviyo, settings } = this.deps;
    // Jobs submitted but not yet followed to the end go into every checkpoint, so a resumed run
    // still counts what they did.
    const follower = new ProfileJobFollower(
      klaviyo,
      run,
      (ids) => this.resendWithoutPhone(run, ids),
      (unfinishedJobs) => (run.importerState = unfinishedJobs.length > 0 ? { unfinishedJobs } : undefined),
    );
    const sender = new BatchSender<ProfileImportEntry>(
      {
        maxItems: profilesPerJob,
        maxBytes: profileImportMaxBytes - envelopeBytes,
        concurrency: jobsInFlight,
      },
      run.tracker,
      async (batch) => {
        const job = await this.submit(
          run,
          batch.map((entry) => entry.item),
          batch.map((entry) => entry.recordId),
          false,
          batch.map((entry) => entry.ticket),
        );
        follower.follow(job);
      },
      (entry) => Buffer.byteLength(JSON.stringify(entry)),
    );


    // Jobs a stopped run submitted but did not follow to the end are followed first.
    for (const job of carriedOverJobs(run.importerState)) follower.follow({ ...job, customerIds: [] });

    try {
      await readRanges(run, recordPages(run, this.deps.commercetools.queryPage('customers', run.signal)), async (customers, rangeIndex) => {
        const existingIds = settings.deduplicateProfilesByEmail
          ? await findProfileIdsByEmail(klaviyo, emailsOf(customers), run.signal)
          : undefined;
        const ticket = run.tracker.openPage(rangeIndex, customers[customers.length - 1].id, customers.length);
        for (const customer of customers) {
          const entry = this.toEntry(run, customer, existingIds, ticket);
          if (entry) await sender.add({ item: entry, recordId: customer.id, ticket });
          else run.tracker.settle(ticket);
        }
      });
      await sender.flush();
    } finally {
      await sender.drain();
      await follower.drain();
    }
  }

  /** Maps one customer; one the mapper cannot handle is counted as failed, not lost. */
  private toEntry(run: ImportRun, customer: Customer, existingIds?: Map<string, string>, page?: PageTicket): ProfileImportEntry | undefined {
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

  private async submit(
    run: ImportRun,
    entries: ProfileImportEntry[],
    customerIds: string[],
    withoutPhone: boolean,
    pages?: PageTicket[],
  ): Promise<SubmittedProfileJob> {
    const jobId = await submitProfileImportJob(this.deps.klaviyo, entries, run.signal);
    // A resend is the same customers again: they were counted as sent the first time.
    if (!withoutPhone) run.progress.sent(entries.length, pages);
    return { jobId, customerIds, withoutPhone };
  }

  /** The original module's fallback: a profile refused for its phone number goes again without it. */
  private async resendWithoutPhone(run: ImportRun, customerIds: string[]): Promise<SubmittedProfileJob[]> {
    const entries: ProfileImportEntry[] = [];
    const ids: string[] = [];
    const missing = (id: string) => run.progress.failed(id, 'not found in commercetools');
    for await (const customers of idListPages(this.deps.commercetools.queryPage('customers', run.signal), customerIds, {}, missing)) {
      for (const customer of customers) {
        entries.push({ attributes: customerProfileAttributesWithoutPhone(customer, this.deps.settings) });
        ids.push(customer.id);
      }
    }
    return entries.length > 0 ? [await this.submit(run, entries, ids, true)] : [];
  }
}

function carriedOverJobs(state: unknown): UnfinishedProfileJob[] {
  const jobs = (state as { unfinishedJobs?: unknown } | undefined)?.unfinishedJobs;
  return Array.isArray(jobs) ? jobs.filter((job): job is UnfinishedProfileJob => typeof job?.jobId === 'string') : [];
}

function emailsOf(customers: Customer[]): string[] {
  return customers.flatMap((customer) => (customer.email ? [customer.email] : []));
}
