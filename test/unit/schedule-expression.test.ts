import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '#lib/domain/errors.ts';
import { checkTimezone, parseScheduleExpression } from '#lib/domain/schedule-expression.ts';

/** The detail message a refused expression gets (it names what is wrong). */
function refusal(expression: string): string {
  try {
    parseScheduleExpression(expression);
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.details?.[0]?.path, 'schedule');
    return error.details?.[0]?.message ?? '';
  }
  assert.fail(`${expression} was taken`);
}

describe('parseScheduleExpression', () => {
  it('takes the rates EventBridge Scheduler takes, as intervals', () => {
    // Act and assess
    assert.deepEqual(parseScheduleExpression('rate(1 minute)'), { kind: 'rate', text: 'rate(1 minute)', intervalMs: 60_000 });
    assert.equal(parseScheduleExpression('rate(5 minutes)').text, 'rate(5 minutes)');
    assert.deepEqual(
      ['rate(1 hour)', 'rate(12 hours)', 'rate(1 day)', 'rate(7 days)'].map((expression) => (parseScheduleExpression(expression) as { intervalMs: number }).intervalMs),
      [3_600_000, 43_200_000, 86_400_000, 604_800_000],
    );
  });

  it('refuses a rate with the wrong number of its unit, no whole number, or another unit, saying which', () => {
    // Act and assess
    assert.match(refusal('rate(1 minutes)'), /1 takes the singular: rate\(1 minute\)/);
    assert.match(refusal('rate(5 hour)'), /5 takes the plural: rate\(5 hours\)/);
    assert.match(refusal('rate(0 minutes)'), /at least 1/);
    assert.match(refusal('rate(1.5 hours)'), /whole number and a unit/);
    assert.match(refusal('rate(2 weeks)'), /minute\(s\), hour\(s\) or day\(s\)/);
    assert.match(refusal('every 5 minutes'), /must be rate\(…\), cron\(…\) or at\(…\)/);
  });

  it("takes AWS's six cron fields, with ? in one day field, names, ranges, steps, lists, L, W and #", () => {
    // Prepare
    const taken = [
      'cron(0 12 * * ? *)',
      'cron(15 10 ? * 6L 2027-2030)',
      'cron(0/15 8-17 ? * MON-FRI *)',
      'cron(0 8 1 JAN,jul ? *)',
      'cron(5,35 14 * * ? *)',
      'cron(0 0 L * ? *)',
      'cron(0 9 15W * ? *)',
      'cron(0 9 ? * 2#1 *)',
      'cron(0 9 ? * FRIL *)',
      'cron(*/10 * ? * 1,7 2030/2)',
    ];

    // Act and assess
    for (const expression of taken) assert.equal(parseScheduleExpression(expression).kind, 'cron', expression);
    assert.deepEqual(parseScheduleExpression('cron(0  12 * *  ? *)'), {
      kind: 'cron',
      text: 'cron(0 12 * * ? *)',
      fields: { minutes: '0', hours: '12', dayOfMonth: '*', month: '*', dayOfWeek: '?', year: '*' },
    });
  });

  it("refuses a cron EventBridge would refuse, naming the field and what is wrong", () => {
    // Act and assess
    assert.match(refusal('cron(0 12 * * *)'), /takes 6 fields, got 5/);
    assert.match(refusal('cron(0 12 * * * *)'), /\? in exactly one of day-of-month and day-of-week/);
    assert.match(refusal('cron(0 12 ? * ? *)'), /\? in exactly one of day-of-month and day-of-week/);
    assert.match(refusal('cron(60 12 * * ? *)'), /^minutes '60': each value must be 0–59/);
    assert.match(refusal('cron(0 24 * * ? *)'), /^hours '24'/);
    assert.match(refusal('cron(0 12 0 * ? *)'), /^day-of-month '0'/);
    assert.match(refusal('cron(0 12 ? * 8 *)'), /^day-of-week '8': each value must be 1–7 or SUN–SAT/);
    assert.match(refusal('cron(0 12 ? * 0 *)'), /^day-of-week '0'/);
    assert.match(refusal('cron(0 12 * 13 ? *)'), /^month '13'/);
    assert.match(refusal('cron(0 12 * * ? 1969)'), /^year '1969': each value must be 1970–2199/);
    assert.match(refusal('cron(0 17-8 * * ? *)'), /runs backwards/);
    assert.match(refusal('cron(0/0 12 * * ? *)'), /step after \/ must be a whole number from 1 to 59/);
    assert.match(refusal('cron(? 12 * * ? *)'), /\? is only for day-of-month or day-of-week/);
    assert.match(refusal('cron(0 12 ? * L *)'), /L alone is not taken here/);
    assert.match(refusal('cron(0 12 ? * 2#6 *)'), /k from 1 to 5/);
    assert.match(refusal('cron(0 12 1,L * ? *)'), /stand alone in day-of-month/);
  });

  it('takes at(…) of a date and time that exists, without a zone', () => {
    // Act and assess
    assert.deepEqual(parseScheduleExpression('at(2030-02-28T18:00:00)'), { kind: 'at', text: 'at(2030-02-28T18:00:00)', dateTime: '2030-02-28T18:00:00' });
    assert.match(refusal('at(2030-02-30T18:00:00)'), /not a date and time that exists/);
    assert.match(refusal('at(2030-02-28T18:00:00Z)'), /without a zone/);
    assert.match(refusal('at(2030-02-28 18:00)'), /yyyy-mm-ddThh:mm:ss/);
  });
});

describe('checkTimezone', () => {
  it('takes IANA time zone names and refuses offsets and names that are none', () => {
    // Act and assess
    for (const timezone of ['UTC', 'Europe/Paris', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) assert.equal(checkTimezone(timezone), timezone);
    for (const timezone of ['+01:00', 'Mars/Olympus_Mons', 'Europe/Paris ', '']) {
      assert.throws(() => checkTimezone(timezone), (error: unknown) => error instanceof ValidationError && error.details?.[0]?.path === 'timezone', timezone);
    }
  });
});
