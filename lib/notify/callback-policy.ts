/** The CallbackUrlPolicy port on the submit-time check of callback-url.ts. */
import { ValidationError } from '#lib/domain/errors.ts';
import type { CallbackUrlPolicy } from '#lib/domain/ports.ts';
import { CallbackUrlError, checkCallbackUrl, type AllowedHost } from './callback-url.ts';

export function callbackUrlPolicy(allowHosts: readonly AllowedHost[]): CallbackUrlPolicy {
  return {
    check(url) {
      try {
        return checkCallbackUrl(url, allowHosts).href;
      } catch (error) {
        if (!(error instanceof CallbackUrlError)) throw error;
        throw new ValidationError(error.message, [{ path: 'callbackUrl', message: error.message }]);
      }
    },
  };
}
