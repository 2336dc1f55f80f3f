/** GET /profiles, for the Lambda of that route and for local mode alike. */
import { profilesUsableBy } from '#lib/domain/caller.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { httpHandler } from './http-handler.ts';
import { profileDocument } from './profile-document.ts';
import { json } from './responses.ts';

export type ListProfilesPorts = Pick<Dependencies, 'profiles' | 'logger'>;

/** GET /profiles: the profiles the caller's token may use, by name, as a job form needs them. */
export function listProfilesHandler(ports: ListProfilesPorts) {
  return httpHandler(async (_event, caller) => json(200, { profiles: profilesUsableBy(caller, ports.profiles).map(profileDocument) }), { logger: ports.logger });
}
