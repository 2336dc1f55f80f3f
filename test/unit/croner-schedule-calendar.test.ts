import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronerScheduleCalendar } from '#lib/adapters/croner-schedule-calendar.ts';
import type { ScheduleTiming } from '#lib/domain/ports.ts';

const calendar = new CronerScheduleCalendar();
/** A Monday. */
const MONDAY_NOON = new Date('2030-01-07T12:00:00.000Z');

function next(schedule: string, after: Date, more: Partial<ScheduleTiming> = {}): string | undefined {
  return calendar.nextFireTime({ schedule, updatedAt: '2030-01-07T11:58:30.000Z', ...more }, after)?.toISOString();
}

describe('CronerScheduleCalendar', () => {
  it("reads AWS's day-of-week numbers: 1 is Sunday, 7 Saturday, as SUN and SAT", () => {
    // Act and assess
    assert.equal(next('cron(0 9 ? * 1 *)', MONDAY_NOON), '2030-01-13T09:00:00.000Z');
    assert.equal(next('cron(0 9 ? * SUN *)', MONDAY_NOON), '2030-01-13T09:00:00.000Z');
    assert.equal(next('cron(0 9 ? * 7 *)', MONDAY_NOON), '2030-01-12T09:00:00.000Z');
    assert.equal(next('cron(0 9 ? * 2-6 *)', MONDAY_NOON), '2030-01-08T09:00:00.000Z');
    assert.equal(next('cron(0 9 ? * 6L *)', MONDAY_NOON), '2030-01-25T09:00:00.000Z', 'the last Friday');
    assert.equal(next('cron(0 9 ? * 2#1 *)', MONDAY_NOON), '2030-02-04T09:00:00.000Z', 'the first Monday');
  });

  it('fires strictly after the time given, in the schedule\'s time zone', () => {
    // Act and assess
    assert.equal(next('cron(0 12 * * ? *)', MONDAY_NOON), '2030-01-08T12:00:00.000Z');
    assert.equal(next('cron(0 8 * * ? *)', MONDAY_NOON, { timezone: 'Europe/Paris' }), '2030-01-08T07:00:00.000Z');
    assert.equal(next('cron(0 8 * * ? *)', new Date('2030-07-01T12:00:00Z'), { timezone: 'Europe/Paris' }), '2030-07-02T06:00:00.000Z', 'summer time');
  });

  it("takes AWS's 0/15 steps and its year field, and has no fire for days that never come", () => {
    // Act and assess
    assert.equal(next('cron(0/15 * * * ? *)', MONDAY_NOON), '2030-01-07T12:15:00.000Z');
    assert.equal(next('cron(0 0 1 1 ? 2032)', MONDAY_NOON), '2032-01-01T00:00:00.000Z');
    assert.equal(next('cron(0 0 1 1 ? 2029)', MONDAY_NOON), undefined);
    assert.equal(next('cron(0 0 30 2 ? *)', MONDAY_NOON), undefined);
  });

  it('fires at(…) once, at that time of its time zone', () => {
    // Act and assess
    assert.equal(next('at(2030-01-24T18:00:00)', MONDAY_NOON, { timezone: 'Europe/Paris' }), '2030-01-24T17:00:00.000Z');
    assert.equal(next('at(2030-01-24T18:00:00)', MONDAY_NOON), '2030-01-24T18:00:00.000Z');
    assert.equal(next('at(2030-01-24T18:00:00)', new Date('2030-01-24T18:00:00Z')), undefined);
  });

  it('counts a rate from the time the schedule was made or last changed', () => {
    // Act and assess: updatedAt is 11:58:30.
    assert.equal(next('rate(1 minute)', MONDAY_NOON), '2030-01-07T12:00:30.000Z');
    assert.equal(next('rate(1 minute)', new Date('2030-01-07T12:00:30.000Z')), '2030-01-07T12:01:30.000Z');
    assert.equal(next('rate(2 hours)', MONDAY_NOON), '2030-01-07T13:58:30.000Z');
    assert.equal(next('rate(5 minutes)', new Date('2030-01-07T11:00:00.000Z')), '2030-01-07T12:03:30.000Z', 'never before it was made, plus one interval');
  });
});
