import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allRules, loadAlertRules, metricNames } from '../support/alert-rules';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** GitHub's anchor of each heading of the README. */
const anchors = new Set(
  [...README.matchAll(/^#{2,4} (.+)$/gm)].map((heading) =>
    (heading[1] as string)
      .toLowerCase()
      .replace(/[^\w\- ]/g, '')
      .replace(/ /g, '-'),
  ),
);

describe('ops/prometheus/alerts.yml', () => {
  const file = loadAlertRules();
  const rules = allRules(file);

  it('is a Prometheus rules file: named groups of rules', () => {
    expect(file.groups.length).toBeGreaterThan(0);
    for (const group of file.groups) {
      expect(group.name).toMatch(/\S/);
      expect(group.rules.length).toBeGreaterThan(0);
    }
  });

  it('gives every rule a unique name, an expression, a duration, a severity and its annotations', () => {
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(rule.expr, rule.alert).toMatch(/\S/);
      expect(rule.for, rule.alert).toMatch(/^\d+[smhd]$/);
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toMatch(/\S/);
      expect(rule.annotations?.description, rule.alert).toMatch(/\S/);
      expect(rule.annotations?.runbook_url, rule.alert).toMatch(/^examples\/ecommerce\/README\.md#/);
    }
  });

  it("links every rule to a runbook section of the example's README", () => {
    for (const rule of rules) {
      const anchor = rule.annotations?.runbook_url?.split('#')[1];
      expect(anchors, `${rule.alert} links to #${anchor}`).toContain(anchor);
    }
  });

  it('alerts on failed compensations, stalled sagas, open breakers, failing orders and a growing outbox', () => {
    const reads = Object.fromEntries(rules.map((rule) => [rule.alert, metricNames(rule.expr)]));
    expect(reads).toMatchObject({
      SagaCompensationFailed: ['shop_saga_compensation_failures_total'],
      SagaStalled: ['shop_sagas_stalled'],
      CircuitBreakerOpen: ['circuit_breaker_state'],
      OrderFailureRateHigh: ['shop_orders_finished_total'],
      OutboxBacklogGrowing: ['shop_outbox_backlog'],
    });
    expect(rules.find((rule) => rule.alert === 'SagaStalled')?.for).toBe('5m');
    expect(rules.find((rule) => rule.alert === 'SagaCompensationFailed')?.labels?.severity).toBe('critical');
  });
});

describe('ops/prometheus/alerts.test.yml', () => {
  // promtool comes with Debian's prometheus package; scripts/ensure-services.sh installs it.
  it('passes promtool: the rules parse and every rule test holds', () => {
    const dir = fileURLToPath(new URL('../../ops/prometheus/', import.meta.url));
    const run = (...args: string[]) => execFileSync('promtool', args, { cwd: dir, encoding: 'utf8' });
    expect(run('check', 'rules', 'alerts.yml')).toContain('SUCCESS');
    expect(run('test', 'rules', 'alerts.test.yml')).toContain('SUCCESS');
  });

  it('tests every rule with promtool', () => {
    const tests = parse(
      readFileSync(new URL('../../ops/prometheus/alerts.test.yml', import.meta.url), 'utf8'),
    ) as {
      rule_files: string[];
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    expect(tests.rule_files).toEqual(['alerts.yml']);
    const firing = new Set(
      tests.tests.flatMap((test) =>
        test.alert_rule_test.filter((check) => check.exp_alerts.length > 0).map((check) => check.alertname),
      ),
    );
    expect([...firing].sort()).toEqual(
      allRules()
        .map((rule) => rule.alert)
        .sort(),
    );
  });
});

describe('metricNames', () => {
  it('finds the metrics of an expression, not its functions, labels, ranges, groupings or numbers', () => {
    expect(
      metricNames(
        'sum by (tenant) (rate(a_total{outcome="failed", reason=~"x|y"}[15m]) or rate(b_total[5m:1m])) ' +
          '/ on (tenant) group_left sum(c) without (job) > 1e3 and d offset 5m unless bool e',
      ),
    ).toEqual(['a_total', 'b_total', 'c', 'd', 'e']);
  });
});
