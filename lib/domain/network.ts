/** A job's network as its task reports it, and the connect hint an interactive profile gives once it has a public IP. */
import type { Job, JobNetwork } from './job.ts';
import type { Dependencies } from './ports.ts';
import { connectHint } from './profile.ts';

/** What a look at the task saw, without forgetting an address seen before (a stopping task's interface is deleted). */
export function mergeNetwork(known: JobNetwork | undefined, seen: JobNetwork): JobNetwork {
  const eniId = seen.eniId ?? known?.eniId;
  const privateIp = seen.privateIp ?? known?.privateIp;
  return { ...(eniId ? { eniId } : {}), ...(privateIp ? { privateIp } : {}), publicIp: seen.publicIp ?? known?.publicIp ?? null };
}

/** The network to record, with the connect hint of an interactive profile once the public IP is known. */
export function networkPatch(
  profiles: Dependencies['profiles'],
  job: Job,
  network: JobNetwork,
): { network: JobNetwork; connect?: Job['connect'] } {
  const profile = profiles.get(job.profile);
  const connect = profile && network.publicIp ? connectHint(profile, network.publicIp) : undefined;
  return { network, ...(connect ? { connect } : {}) };
}
