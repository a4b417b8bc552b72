/** Why the records of a Klaviyo job that was given up on (KlaviyoClient.jobTimeoutMs) count as failed. */
export function unfinishedJobReason(job: string, jobId: string): string {
  return `Klaviyo had not finished the ${job} ${jobId} within BULK_IMPORT_KLAVIYO_JOB_TIMEOUT_SECONDS; the next run sends it again`;
}
