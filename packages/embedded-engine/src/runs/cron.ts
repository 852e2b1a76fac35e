import { CronExpressionParser } from 'cron-parser';

/** @internal The next time a cron schedule fires after `now`; accepts Inngest's `TZ=Zone expr` form. */
export function nextCronRun(schedule: string, now: number): number {
  const match = /^TZ=(\S+)\s+(.*)$/.exec(schedule.trim());
  const expression = match ? match[2]! : schedule;
  const interval = CronExpressionParser.parse(expression, {
    currentDate: new Date(now),
    ...(match ? { tz: match[1] } : {}),
  });
  return interval.next().getTime();
}
