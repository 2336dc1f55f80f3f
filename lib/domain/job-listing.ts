/**
 * Listing jobs (GET /jobs), and following a listing: a wait that answers once the page differs from
 * the one the client has (its version, the ETag), so a console stays current with one request per
 * change or per `wait` rather than a timer's worth. Locally every write of the store wakes it;
 * elsewhere (DynamoDB) it reads the page again every RECORD_POLL_MS.
 */
import { createHash } from 'node:crypto';
import { mayUse, profilesVisibleTo, type Caller } from './caller.ts';
import { ProfileForbiddenError, ProfileRejectedError } from './errors.ts';
import type { JobStatus } from './job.ts';
import { waitOptions, type JobReadPorts, type WaitLimit, type WaitPorts } from './job-service.ts';
import type { Dependencies, JobPage } from './ports.ts';
import { RECORD_POLL_MS, waitUntil, type WaitOptions } from './waiting.ts';

/** Listing reads the profiles too: a filter naming none of them is a mistake to name, not an empty page. */
export type ListJobsPorts = JobReadPorts & Pick<Dependencies, 'profiles'>;
export type JobListWaitPorts = ListJobsPorts & WaitPorts;

export interface ListJobsQuery {
  status?: JobStatus;
  profile?: string;
  /** Only jobs with every one of these labels. */
  labels?: Record<string, string>;
  limit: number;
  cursor?: string;
}

export interface JobListWaitRequest extends WaitLimit {
  /**
   * The client's versions of the page: whether it has this one. With it the request answers once
   * the page is one the client does not have (at once if it already is), else when the wait is
   * over; without it, at once.
   */
  known?: (version: string) => boolean;
}

/** A page of jobs and its version: the same for the same jobs in the same states and the same next page. */
export interface VersionedJobPage {
  page: JobPage;
  version: string;
}

/**
 * Newest first, only jobs of profiles in the caller's scope. A profile filter is checked as POST
 * /jobs checks a profile: outside the caller's scope is a 403 whether or not it exists (a token learns
 * no profile names it may not use), then a profile the deployment does not have is a 400 naming it
 * (a typo would otherwise read as "no jobs").
 */
export async function listJobs(ports: ListJobsPorts, query: ListJobsQuery, caller: Caller): Promise<JobPage> {
  const { profile, ...rest } = query;
  if (profile !== undefined && !mayUse(caller, profile)) throw new ProfileForbiddenError(caller.name, profile, caller.profiles);
  if (profile !== undefined && !ports.profiles.has(profile)) throw new ProfileRejectedError('UNKNOWN_PROFILE', `profile '${profile}' does not exist`);
  const profiles = profile === undefined ? profilesVisibleTo(caller) : [profile];
  return ports.store.list({ ...rest, ...(profiles ? { profiles } : {}) });
}

/**
 * The page with its version; with `known`, once its version is not one the client has, or the page
 * as it is when the wait is over. Each look reads the page again: any write of any job may change
 * it (a new job, a status, a job of the page updated), and none that leaves it as it was ends the wait.
 */
export async function waitForJobList(ports: JobListWaitPorts, query: ListJobsQuery, request: JobListWaitRequest, caller: Caller): Promise<VersionedJobPage> {
  const { known } = request;
  const look = async () => {
    const page = await listJobs(ports, query, caller);
    const version = jobPageVersion(page);
    return { done: known === undefined || !known(version), value: { page, version } };
  };
  const { recordChanges } = ports;
  const changes: WaitOptions['changes'] = recordChanges ? [(wake) => recordChanges.subscribeAll(wake)] : [];
  return waitUntil(look, waitOptions(ports, known === undefined ? {} : request, caller, changes, recordChanges ? undefined : RECORD_POLL_MS));
}

/**
 * The version of a page: a hash of what a list of jobs shows changing (each job's id, status and
 * updatedAt, which every write of a job sets) and where the next page starts.
 */
export function jobPageVersion(page: JobPage): string {
  const shown = { jobs: page.jobs.map((job) => [job.id, job.status, job.updatedAt]), nextCursor: page.nextCursor };
  return createHash('sha256').update(JSON.stringify(shown)).digest('base64url').slice(0, 27);
}
