/**
 * Several notifiers as one (a job's Slack thread and its webhook are told side by side), and the
 * notifier of a deployment that tells no one.
 */
import type { Notifier, NotificationOutcome } from '#lib/domain/ports.ts';

export const NO_NOTIFICATIONS: Notifier = {
  notify: async () => ({ attempts: [], retry: false }),
};

/** Each notifier in turn, their attempts and patches together (a notifier reports its failures as attempts; it does not throw). */
export function combineNotifiers(notifiers: readonly Notifier[]): Notifier {
  if (notifiers.length === 0) return NO_NOTIFICATIONS;
  return {
    async notify(job, event) {
      const outcomes = await Promise.all(notifiers.map((notifier) => notifier.notify(job, event)));
      return outcomes.reduce<NotificationOutcome>(
        (all, outcome) => ({
          attempts: [...all.attempts, ...outcome.attempts],
          ...(all.patch || outcome.patch ? { patch: { ...all.patch, ...outcome.patch } } : {}),
          retry: all.retry || outcome.retry,
        }),
        { attempts: [], retry: false },
      );
    },
  };
}
