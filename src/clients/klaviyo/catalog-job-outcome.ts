export interface CatalogJobStatus {
  jobId: string;
  status: 'queued' | 'processing' | 'complete' | 'cancelled';
  failedCount: number;
  errors: CatalogJobError[];
}

export interface CatalogJobError {
  code: string;
  title: string;
  detail: string;
  /** Position of the refused record in the submitted job, read from the error's pointer. */
  recordIndex?: number;
}

/** A finished job: the positions of the records Klaviyo refused, with why. */
export interface CatalogJobOutcome {
  jobId: string;
  cancelled: boolean;
  /** Klaviyo had not finished the job when its time was up (see KlaviyoClient.jobTimeoutMs). */
  timedOut?: boolean;
  refused: Map<number, string>;
  /** Failures Klaviyo reported without saying which record they belong to. */
  unattributed: string[];
}

/** What a finished job's status says about each record submitted. */
export function outcomeOf(status: CatalogJobStatus): CatalogJobOutcome {
  const refused = new Map<number, string>();
  const unattributed: string[] = [];
  for (const error of status.errors) {
    const reason = `${error.code}: ${error.detail || error.title}`;
    if (error.recordIndex === undefined) unattributed.push(reason);
    else if (!refused.has(error.recordIndex)) refused.set(error.recordIndex, reason);
  }
  // A job that counts failures but names fewer refused records leaves the rest unaccounted for.
  const unnamed = status.failedCount - refused.size - unattributed.length;
  for (let index = 0; index < unnamed; index++) unattributed.push(`Klaviyo counted a failure it did not describe`);
  return { jobId: status.jobId, cancelled: status.status === 'cancelled', refused, unattributed };
}

/** `/data/attributes/items/data/7/attributes/price` → 7. */
export function recordIndexOf(pointer: string | undefined): number | undefined {
  const index = /^\/data\/attributes\/[a-z]+\/data\/(\d+)(\/|$)/.exec(pointer ?? '')?.[1];
  return index === undefined ? undefined : Number(index);
}

/** The record a refusal of a submitted job points at, as `sendSplittingRefusals` asks for it. */
export function catalogRecordIndexesOfPointer(pointer: string): number[] {
  const index = recordIndexOf(pointer);
  return index === undefined ? [] : [index];
}
